// Counting the records of a topic when transactions write markers between them.
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  type FetchIsolationLevelValue,
  MessagesStreamModes,
} from '@platformatic/kafka';
import {
  type KafkaConnection,
  platformaticConnection,
} from '../../src/adapters/kafka/connection.ts';
import { READER_RETRIES, uniqueName, waitFor } from './stack.ts';

/** Each partition's end offset (for read_committed: the last stable offset). */
async function endOffsets(
  topic: string,
  kafka: KafkaConnection,
  isolationLevel: FetchIsolationLevelValue,
): Promise<Map<number, bigint>> {
  const admin = new Admin({
    clientId: uniqueName('count-admin'),
    ...platformaticConnection(kafka),
  });
  try {
    const { topics } = await admin.metadata({ topics: [topic] });
    const partitions = topics.get(topic)?.partitions.length ?? 0;
    if (partitions === 0) throw new Error(`topic ${topic} has no partitions`);
    const listed = await admin.listOffsets({
      isolationLevel,
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: -1n, // latest
          })),
        },
      ],
    });
    return new Map(listed.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p.offset]));
  } finally {
    await admin.close();
  }
}

/**
 * How long a count waits for the transactions ended before it to have their markers written.
 * A transaction left open by a producer that was fenced or lost its coordinator mid-transaction
 * (a broker restart) holds the last stable offset until the coordinator aborts it: its timeout
 * (PRODUCE_TIMEOUT_MS, 30 s in the cluster tests) plus the coordinator's 10 s sweep.
 */
const SETTLE_MS = 60_000;

/**
 * The last stable offsets, once they reach the high watermarks or SETTLE_MS passed. A commit is
 * answered before the coordinator wrote its markers, and until then the last stable offset stays
 * before the committed records: a count made right after a 202 would miss them.
 */
async function settledEnds(
  topic: string,
  kafka: KafkaConnection,
): Promise<{ stable: Map<number, bigint>; high: Map<number, bigint>; settled: boolean }> {
  const until = Date.now() + SETTLE_MS;
  for (;;) {
    const high = await endOffsets(topic, kafka, FetchIsolationLevels.READ_UNCOMMITTED);
    const stable = await endOffsets(topic, kafka, FetchIsolationLevels.READ_COMMITTED);
    const settled = [...high].every(([p, end]) => (stable.get(p) ?? 0n) >= end);
    if (settled || Date.now() >= until) return { stable, high, settled };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Where a counted record lies. */
export interface CountedRecord {
  readonly key: string;
  readonly partition: number;
  readonly offset: bigint;
}

/**
 * The records a topic holds, read from its beginning up to its end offsets as they are now.
 * Offsets cannot tell: a transaction's commit or abort marker takes an offset in each partition
 * it wrote to. Committed records only, unless `uncommitted` (then aborted ones count too).
 */
export async function countRecords(
  topic: string,
  kafka: KafkaConnection,
  o: {
    uncommitted?: boolean;
    keys?: ReadonlySet<string>;
    /** Told every record counted (e.g. to find one written twice). */
    each?: (r: CountedRecord) => void;
    /** Told the end offsets the count read up to, and whether the stable ones had settled. */
    ends?: (line: string) => void;
  } = {},
): Promise<number> {
  const isolationLevel = o.uncommitted
    ? FetchIsolationLevels.READ_UNCOMMITTED
    : FetchIsolationLevels.READ_COMMITTED;
  let ends: Map<number, bigint>;
  if (o.uncommitted) {
    ends = await endOffsets(topic, kafka, isolationLevel);
    o.ends?.(`high watermarks ${offsetsText(ends)}`);
  } else {
    const settled = await settledEnds(topic, kafka);
    ends = settled.stable;
    o.ends?.(
      `last stable offsets ${offsetsText(settled.stable)}, high watermarks ` +
        `${offsetsText(settled.high)}${settled.settled ? '' : `, not settled in ${SETTLE_MS} ms`}`,
    );
  }
  if ([...ends.values()].every((end) => end === 0n)) return 0;
  const consumer = new Consumer({
    clientId: uniqueName('count-reader'),
    groupId: uniqueName('count'),
    ...platformaticConnection(kafka),
    ...READER_RETRIES,
    isolationLevel,
  });
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
      isolationLevel,
      maxWaitTime: 100,
    });
    let count = 0;
    stream.on('data', (m: { key?: Buffer; partition: number; offset: bigint }) => {
      const key = m.key?.toString() ?? '';
      if (o.keys !== undefined && !o.keys.has(key)) return;
      count++;
      o.each?.({ key, partition: m.partition, offset: m.offset });
    });
    try {
      // The stream's next fetch offsets move past markers too, which no message shows.
      await waitFor(`the end of ${topic}`, async () => {
        const done = [...ends].every(
          ([p, end]) => (stream.offsetsToFetch.get(`${topic}:${p}`) ?? 0n) >= end,
        );
        return done && stream.readableLength === 0 ? true : undefined;
      });
    } finally {
      await stream.close();
    }
    return count;
  } finally {
    await consumer.close(true);
  }
}

function offsetsText(offsets: ReadonlyMap<number, bigint>): string {
  return [...offsets].map(([p, o]) => `${p}:${o}`).join(' ');
}
