// The dead-letter topic read once from its start to the end it had when reading began, on
// @platformatic/kafka, as a console consumer would: in a group of its own that commits nothing.
import { randomUUID } from 'node:crypto';
import { Consumer, ListOffsetTimestamps, MessagesStreamModes } from '@platformatic/kafka';
import { type KafkaConnection, platformaticConnection } from '../../adapters/kafka/connection.ts';
import type { ConsumedMessage } from '../../domain/events.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

export interface DlqReaderOptions {
  readonly kafka: KafkaConnection;
  readonly clientId: string;
  readonly topic: string;
  /**
   * Reading fails as unavailable when no record came for this many milliseconds before the end
   * was reached (time the caller spends on a record does not count).
   */
  readonly timeoutMs: number;
}

/** How often the end is checked for partitions whose last offsets hold no record to deliver. */
const END_CHECK_MS = 100;

/**
 * Every record of `topic`, partition by partition in offset order (partitions interleaved),
 * up to the end offsets the topic had when this started: records written meanwhile are left
 * for the next read. Headers are decoded as UTF-8; null keys and values stay null.
 */
export async function* readDeadLetters(o: DlqReaderOptions): AsyncGenerator<ConsumedMessage> {
  const consumer = new Consumer({
    clientId: o.clientId,
    // A group of its own that never commits: reading changes nothing on the broker.
    groupId: `${o.clientId}-${randomUUID()}`,
    ...platformaticConnection(o.kafka),
  });
  try {
    const [starts, ends] = await Promise.all(
      [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map(async (timestamp) => {
        const offsets = await consumer.listOffsets({ topics: [o.topic], timestamp });
        return offsets.get(o.topic) ?? [];
      }),
    );
    /** The end offset of each partition that holds records. */
    const pending = new Map<number, bigint>();
    (ends ?? []).forEach((end, partition) => {
      if (end > (starts?.[partition] ?? 0n)) pending.set(partition, end);
    });
    if (pending.size > 0) yield* readUntil(consumer, o, [...pending]);
  } finally {
    await consumer.close(true);
  }
}

async function* readUntil(
  consumer: Consumer,
  o: DlqReaderOptions,
  ends: readonly (readonly [number, bigint])[],
): AsyncGenerator<ConsumedMessage> {
  const endOf = new Map(ends);
  const stream = await consumer.consume({
    topics: [o.topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
    maxWaitTime: 200,
  });
  const lastSeen = new Map<number, bigint>();
  // Done when each partition delivered its last record before the end, or, where the last
  // offsets hold none to deliver (transaction markers, aborted records), fetched past the end
  // with nothing left in the stream's buffer.
  const done = () =>
    ends.every(([partition, end]) => {
      if ((lastSeen.get(partition) ?? -1n) >= end - 1n) return true;
      const next = stream.offsetsToFetch.get(`${o.topic}:${partition}`) ?? 0n;
      return next >= end && stream.readableLength === 0;
    });
  // Closing the stream ends the loop below, whose finally closes it again and awaits that.
  const stop = () => void stream.close().catch(() => {});
  let timedOut = false;
  let deadline: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(deadline);
    deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs);
  };
  arm();
  const check = setInterval(() => {
    if (done()) stop();
  }, END_CHECK_MS);
  try {
    for await (const m of stream) {
      const end = endOf.get(m.partition);
      // A record the stream delivers again (it fetches anew after a rejoin) is read once.
      const fresh = m.offset > (lastSeen.get(m.partition) ?? -1n);
      if (end !== undefined && m.offset < end && fresh) {
        lastSeen.set(m.partition, m.offset);
        const headers = new Map<string, string>();
        for (const [k, v] of m.headers) headers.set(k.toString(), v?.toString() ?? '');
        clearTimeout(deadline);
        yield {
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          timestamp: m.timestamp,
          // Null keys and values reach us as undefined although the declared type says Buffer.
          key: (m.key as Buffer | undefined) ?? null,
          value: (m.value as Buffer | undefined) ?? null,
          headers,
        };
        arm();
      }
      if (done()) break;
    }
  } finally {
    clearTimeout(deadline);
    clearInterval(check);
    await stream.close();
  }
  if (timedOut && !done()) {
    throw new AppError(
      ErrorCode.Unavailable,
      `no record of ${o.topic} came for ${o.timeoutMs} ms before its end was reached`,
    );
  }
}
