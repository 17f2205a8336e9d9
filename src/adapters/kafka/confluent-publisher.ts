import { setTimeout as sleep } from 'node:timers/promises';
import type {
  DeliveryReport,
  LibrdKafkaError,
  MessageHeader,
} from '@confluentinc/kafka-javascript';
import { RdKafka } from '@confluentinc/kafka-javascript';
import type { Logger } from 'pino';
import type { OutgoingMessage } from '../../domain/events.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { librdkafkaConnection } from './connection.ts';
import { LIBRDKAFKA_PARTITIONER } from './partitioner.ts';
import { toBuffer } from './produce-requests.ts';
import type { Publisher, PublisherOptions } from './publisher.ts';

interface Delivery {
  resolve(): void;
  reject(err: unknown): void;
}

const QUEUE_FULL = RdKafka.CODES.ERRORS.ERR__QUEUE_FULL;

const unacknowledged = (cause: unknown) =>
  new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge the message', { cause });

/**
 * The Publisher of publisher.ts on @confluentinc/kafka-javascript's librdkafka Producer:
 * idempotent, acks=all, not transactional (the CLI's producer). librdkafka batches records itself (linger.ms); a publish resolves once a
 * delivery report came back for each of its records and rejects if any of them failed, which
 * librdkafka decides within `timeoutMs` (message.timeout.ms) of producing it.
 */
export function createConfluentPublisher(o: PublisherOptions, log: Logger): Publisher {
  const producer = new RdKafka.Producer({
    ...librdkafkaConnection(o.kafka),
    'client.id': o.clientId,
    'enable.idempotence': true,
    acks: -1,
    'message.timeout.ms': o.timeoutMs,
    'linger.ms': 5,
    'batch.num.messages': o.maxBatch ?? 5000,
    // Java's partitioner, as every producer of the project uses (partitioner.ts).
    partitioner: LIBRDKAFKA_PARTITIONER,
    // The topic is created by whoever owns it (ensureTopics), never by a typo here.
    'allow.auto.create.topics': false,
    dr_cb: true,
  });
  producer.on('event.error', (err: LibrdKafkaError) => {
    log.warn({ err }, 'librdkafka error');
  });
  producer.on('delivery-report', (err: LibrdKafkaError | null, report: DeliveryReport) => {
    const delivery = report.opaque as Delivery;
    if (err) delivery.reject(unacknowledged(err));
    else delivery.resolve();
  });

  let connected: Promise<void> | null = null;
  let closed = false;

  function connect(): Promise<void> {
    connected ??= new Promise<void>((resolve, reject) => {
      // The metadata request that completes connect() waits for a broker at most this long.
      producer.connect({ timeout: o.timeoutMs }, (err) => {
        if (err) {
          // A later publish tries again rather than failing on this attempt for ever.
          connected = null;
          reject(unacknowledged(err));
          return;
        }
        producer.setPollInBackground(true);
        resolve();
      });
    });
    return connected;
  }

  /** Hands one record to librdkafka; `delivered` settles with its delivery report. */
  async function enqueue(topic: string, m: OutgoingMessage): Promise<{ delivered: Promise<void> }> {
    const value = m.value === null ? null : toBuffer(m.value);
    const key = m.key === null ? null : toBuffer(m.key);
    const headers: MessageHeader[] | undefined = m.headers
      ? Object.entries(m.headers).map(([k, v]) => ({ [k]: v }))
      : undefined;
    for (;;) {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      try {
        producer.produce(topic, null, value, key, null, { resolve, reject }, headers);
        return { delivered: promise };
      } catch (err: unknown) {
        // librdkafka's local queue is full: wait for deliveries to make room, then retry.
        if ((err as { code?: unknown }).code !== QUEUE_FULL) throw unacknowledged(err);
        await sleep(10);
      }
    }
  }

  return {
    async publish(topic, messages) {
      if (closed) throw new AppError(ErrorCode.Unavailable, 'The publisher is closed');
      if (messages.length === 0) return;
      await connect();
      const deliveries: Promise<void>[] = [];
      let failure: unknown = null;
      for (const m of messages) {
        try {
          deliveries.push((await enqueue(topic, m)).delivered);
        } catch (err: unknown) {
          failure = err;
          break;
        }
      }
      // Every record handed over settles before the publish does, so none is left unobserved.
      const settled = await Promise.allSettled(deliveries);
      if (failure !== null) throw failure;
      const rejected = settled.find((s) => s.status === 'rejected');
      if (rejected) throw rejected.reason;
    },
    async close() {
      closed = true;
      if (connected === null) return;
      await connected.catch(() => undefined);
      if (!producer.isConnected()) return;
      // disconnect() flushes what is queued first, then closes the connections.
      await new Promise<void>((resolve) => {
        producer.disconnect(o.timeoutMs, (err: unknown) => {
          if (err) log.warn({ err }, 'kafka producer disconnect failed');
          resolve();
        });
      });
    },
  };
}
