// Helpers of the dead-letter tests: records produced and read byte for byte (a binary or empty
// key, a null or empty value, headers as sent), and the outbox's contents.
import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { Sql } from '../../src/adapters/db/client.ts';
import { platformaticConnection } from '../../src/adapters/kafka/connection.ts';
import { kafka, readFromStart, uniqueName } from '../support/stack.ts';

/** A record exactly as a client sends it: null is a null key or value, not an empty one. */
export interface ExactRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A record exactly as it was read back. */
export interface ReadRecord extends ExactRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly headers: Readonly<Record<string, string>>;
}

/** Produces the records one produce request each, in order (so each is its own record batch). */
export async function produceExact(topic: string, records: readonly ExactRecord[]): Promise<void> {
  const producer = new Producer({
    clientId: uniqueName('exact-producer'),
    ...platformaticConnection(kafka),
    acks: ProduceAcks.ALL,
  });
  try {
    for (const r of records)
      await producer.send({
        messages: [
          {
            topic,
            key: r.key ?? undefined,
            value: r.value ?? undefined,
            headers: new Map(
              Object.entries(r.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
            ),
          },
        ],
      });
  } finally {
    await producer.close();
  }
}

/** Reads the first `count` records of a topic, keys and values as the broker holds them. */
export function readExact(topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
  return readFromStart(
    topic,
    count,
    (m): ReadRecord => ({
      partition: m.partition,
      offset: m.offset,
      // A null reaches us as undefined whatever the declared type says.
      key: (m.key as Buffer | undefined) ?? null,
      value: (m.value as Buffer | undefined) ?? null,
      headers: Object.fromEntries([...m.headers].map(([k, v]) => [String(k), String(v)])),
    }),
    timeoutMs,
  );
}

/** Letters of the dead-letter topic `dlq` still waiting in the outbox. */
export async function outboxCount(sql: Sql, dlq: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from music.dead_letter_outbox where topic = ${dlq}`;
  return row?.n ?? 0;
}
