import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { OutgoingMessage } from '../../domain/events.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { withDeadline } from './deadline.ts';

export interface PublisherOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** A publish not acknowledged within this many milliseconds fails as unavailable. */
  readonly timeoutMs: number;
  /** Records per produce request at most. */
  readonly maxBatch?: number;
  /**
   * Told how many records of a topic the broker acknowledged, or failed to, after each produce
   * request; metrics hang here so that this adapter needs no metrics library.
   */
  readonly onOutcome?: (outcome: PublishOutcome) => void;
}

export interface PublishOutcome {
  readonly topic: string;
  readonly records: number;
  readonly acknowledged: boolean;
}

interface Pending {
  readonly topic: string;
  readonly messages: readonly OutgoingMessage[];
  resolve(): void;
  reject(err: unknown): void;
}

/** Publishes records and resolves only once the broker acknowledged every one of them. */
export interface Publisher {
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * An idempotent, acks=all producer on @platformatic/kafka. One produce request is in flight at a
 * time; records published meanwhile wait and leave together in the next request, so batches grow
 * with load without a fixed linger delay, and records of one key keep their order.
 */
export function createPublisher(o: PublisherOptions): Publisher {
  const producer = new Producer({
    clientId: o.clientId,
    bootstrapBrokers: [...o.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    timeout: o.timeoutMs,
    retries: 2,
    retryDelay: 250,
    autocreateTopics: false,
  });
  const maxBatch = o.maxBatch ?? 5000;
  let queue: Pending[] = [];
  /** The loop sending the queue, while it runs; close() waits for it. */
  let sending: Promise<void> | null = null;
  let closed = false;

  function report(taken: readonly Pending[], acknowledged: boolean): void {
    if (!o.onOutcome) return;
    const byTopic = new Map<string, number>();
    for (const p of taken) byTopic.set(p.topic, (byTopic.get(p.topic) ?? 0) + p.messages.length);
    try {
      for (const [topic, records] of byTopic) o.onOutcome({ topic, records, acknowledged });
    } catch {
      // Observing a publish must never stop the queue: a broken hook only loses its counts.
    }
  }

  /** The next produce request's share of the queue: up to maxBatch records, at least one publish. */
  function take(): Pending[] {
    const taken: Pending[] = [];
    let count = 0;
    while (
      queue.length > 0 &&
      (taken.length === 0 || count + (queue[0]?.messages.length ?? 0) <= maxBatch)
    ) {
      const next = queue.shift() as Pending;
      taken.push(next);
      count += next.messages.length;
    }
    return taken;
  }

  async function send(taken: readonly Pending[]): Promise<void> {
    let failure: AppError | null = null;
    try {
      // Inside the try: whatever fails, these callers hear of it and the queue goes on.
      await withDeadline(
        producer.send({ messages: toRecords(taken) }),
        o.timeoutMs,
        `no acknowledgement within ${o.timeoutMs} ms`,
      );
    } catch (err) {
      failure = new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge the message', {
        cause: err,
      });
    }
    // Counted before the callers hear of it, so a 202 never precedes its count.
    report(taken, failure === null);
    for (const p of taken) {
      if (failure) p.reject(failure);
      else p.resolve();
    }
  }

  /**
   * Sends until the queue is empty. `sending` is cleared in the very step that finds it empty, so
   * a publish right after (say from a caller just resolved) starts the next drain.
   */
  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await send(take());
    } finally {
      sending = null;
    }
  }

  return {
    publish(topic, messages) {
      if (closed)
        return Promise.reject(new AppError(ErrorCode.Unavailable, 'The publisher is closed'));
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages, resolve, reject });
        sending ??= drain();
      });
    },
    async close() {
      closed = true;
      // What was published before close() is still sent (or failed) before the producer closes.
      await sending;
      queue = [];
      await producer.close();
    },
  };
}

type ProducerRecord = Parameters<Producer['send']>[0]['messages'][number];
type Headers = NonNullable<OutgoingMessage['headers']>;

/**
 * The records of a produce request. Allocation per record is kept to the record itself: values
 * that are Buffers already are sent as they are, and the messages of one publish, which share
 * one headers object, share one header map too.
 */
/** Bytes as a Buffer without copying them; text as UTF-8. */
export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function toRecords(taken: readonly Pending[]): ProducerRecord[] {
  const records: ProducerRecord[] = [];
  const headerMaps = new Map<Headers, Map<Buffer, Buffer>>();
  const headersOf = (headers: Headers) => {
    let map = headerMaps.get(headers);
    if (map === undefined) {
      // Header keys go through the Buffer serializer too, so they must be Buffers.
      map = new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
      headerMaps.set(headers, map);
    }
    return map;
  };
  for (const p of taken) {
    for (const m of p.messages) {
      records.push({
        topic: p.topic,
        key: m.key === null ? undefined : toBuffer(m.key),
        value: m.value === null ? undefined : toBuffer(m.value),
        headers: m.headers ? headersOf(m.headers) : undefined,
      });
    }
  }
  return records;
}
