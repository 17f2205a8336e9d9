import type { OutgoingMessage } from '../../domain/events.ts';
import type { Sql } from './client.ts';

/** A dead letter kept in the outbox, with the id that orders it. */
export interface KeptLetter {
  /** bigserial, as text (int8 stays text in this client). */
  readonly id: string;
  readonly message: OutgoingMessage;
}

/** What one relay pass made of the letters it took. */
export interface RelayOutcome {
  /** Ids of the letters the broker acknowledged: deleted from the outbox. */
  readonly acknowledged: readonly string[];
  /** Why the pass stopped before the end of its letters, if it did. */
  readonly error?: unknown;
}

/** Outbox letters one pass reads at most, in bytes of key and value (at least one letter). */
const PASS_BYTES = 4 * 1024 * 1024;
const PASS_ROWS = 1000;

const toBytes = (data: string | Uint8Array | null): Buffer | null =>
  data === null
    ? null
    : typeof data === 'string'
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

const encodeHeaders = (headers: Readonly<Record<string, string>> | undefined): Buffer =>
  Buffer.from(JSON.stringify(Object.entries(headers ?? {})));

const decodeHeaders = (bytes: Buffer): Record<string, string> =>
  Object.fromEntries(JSON.parse(bytes.toString('utf8')) as [string, string][]);

/** Keeps dead letters for `topic`, in their order, in one statement. */
export async function keepDeadLetters(
  sql: Sql,
  topic: string,
  letters: readonly OutgoingMessage[],
): Promise<void> {
  if (letters.length === 0) return;
  // One VALUES row per letter, in the order given, so that ids follow it. Four parameters per
  // row stay far below PostgreSQL's 65,535 for the largest batch (CONSUMER_BATCH_SIZE 10,000).
  const rows = letters.map((l) => ({
    topic,
    key: toBytes(l.key),
    value: toBytes(l.value),
    headers: encodeHeaders(l.headers),
  }));
  await sql`insert into music.dead_letter_outbox ${sql(rows, 'topic', 'key', 'value', 'headers')}`;
}

/** Letters of `topic` waiting in the outbox. */
export async function keptLetterCount(sql: Sql, topic: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from music.dead_letter_outbox where topic = ${topic}`;
  return row?.n ?? 0;
}

/**
 * One relay pass over the outbox of `topic`: hands the oldest letters to `publish`, in id order,
 * and deletes those it reports acknowledged, all in one transaction that holds an advisory lock
 * per topic, so that the consumers sharing the database relay one at a time and in order.
 * Resolves with the count relayed (0: nothing waits), or null when another relay holds the lock;
 * rejects with the error `publish` reported, after deleting what was acknowledged before it.
 */
export async function relayDeadLetters(
  sql: Sql,
  topic: string,
  publish: (letters: readonly KeptLetter[]) => Promise<RelayOutcome>,
): Promise<number | null> {
  const outcome = await sql.begin(async (tx) => {
    const [lock] = await tx<{ locked: boolean }[]>`
      select pg_try_advisory_xact_lock(hashtext('music-service.dead-letter-relay'), hashtext(${topic}))
        as locked`;
    if (!lock?.locked) return null;
    const rows = await tx<
      { id: string; key: Buffer | null; value: Buffer | null; headers: Buffer }[]
    >`
      with head as (
        select id, key, value, headers from music.dead_letter_outbox
        where topic = ${topic} order by id limit ${PASS_ROWS}
      ), sized as (
        select *, row_number() over (order by id) as n,
          sum(coalesce(octet_length(key), 0) + coalesce(octet_length(value), 0))
            over (order by id) as upto
        from head
      )
      select id, key, value, headers from sized where n = 1 or upto <= ${PASS_BYTES} order by id`;
    if (rows.length === 0) return { relayed: 0 };
    const letters = rows.map((r) => ({
      id: r.id,
      message: { key: r.key, value: r.value, headers: decodeHeaders(r.headers) },
    }));
    const { acknowledged, error } = await publish(letters);
    if (acknowledged.length > 0)
      await tx`delete from music.dead_letter_outbox where id = any(${acknowledged}::int8[])`;
    return { relayed: acknowledged.length, error };
  });
  if (outcome === null) return null;
  if ('error' in outcome && outcome.error !== undefined) throw outcome.error;
  return outcome.relayed;
}
