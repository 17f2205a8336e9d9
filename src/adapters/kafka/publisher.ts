import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { OutgoingMessage } from '../../domain/events.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

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
  let sending = false;
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

  async function drain(): Promise<void> {
    sending = true;
    while (queue.length > 0) {
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
      let failure: AppError | null = null;
      try {
        // Inside the try: whatever fails, these callers hear of it and the queue goes on.
        await withDeadline(producer.send({ messages: toRecords(taken) }), o.timeoutMs);
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
    sending = false;
  }

  return {
    publish(topic, messages) {
      if (closed)
        return Promise.reject(new AppError(ErrorCode.Unavailable, 'The publisher is closed'));
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages, resolve, reject });
        if (!sending) void drain();
      });
    },
    async close() {
      closed = true;
      while (sending) await new Promise((r) => setTimeout(r, 10));
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
        key: m.key === null ? undefined : Buffer.from(m.key),
        value: Buffer.isBuffer(m.value)
          ? m.value
          : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
        headers: m.headers ? headersOf(m.headers) : undefined,
      });
    }
  }
  return records;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
