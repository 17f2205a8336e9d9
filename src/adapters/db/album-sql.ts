import type postgres from 'postgres';
import { type Album, centsToDecimal } from '../../domain/album.ts';
import type { AlbumChange } from '../../domain/batch.ts';
import type { Sql } from './client.ts';

/**
 * The conflict clause of an album upsert whose target table is aliased `a`: the incoming row
 * replaces the stored one only when its event is newer. The benchmark's database ceiling runs
 * it too, so that it measures the very statement the consumers run.
 */
export const newerEventWins = (sql: Sql) => sql`
  on conflict (id) do update set
    title = excluded.title,
    artist = excluded.artist,
    price = excluded.price,
    event_time = excluded.event_time,
    event_partition = excluded.event_partition,
    event_offset = excluded.event_offset,
    updated_at = now()
  where (a.event_time, a.event_partition, a.event_offset)
      < (excluded.event_time, excluded.event_partition, excluded.event_offset)`;

/**
 * Writes a batch of changes (at most one per id) in one statement. A row only changes when the
 * incoming event is newer than the one it last applied, by (event time, partition, offset).
 * Returns the ids whose rows were inserted or changed.
 */
export async function upsertAlbums(sql: Sql, changes: readonly AlbumChange[]): Promise<number[]> {
  if (changes.length === 0) return [];
  const col = <T>(pick: (c: AlbumChange) => T) => changes.map(pick);
  const rows = await sql<{ id: number }[]>`
    insert into music.albums as a
      (id, title, artist, price, event_time, event_partition, event_offset)
    select id, title, artist, price, timestamptz 'epoch' + ms * interval '1 millisecond', p, o
    from unnest(
      ${col((c) => c.album.id)}::int4[],
      ${col((c) => c.album.title)}::text[],
      ${col((c) => c.album.artist)}::text[],
      ${col((c) => centsToDecimal(c.album.priceCents))}::text[]::numeric[],
      ${col((c) => c.eventTimeMs.toString())}::int8[],
      ${col((c) => c.partition)}::int4[],
      ${col((c) => c.offset.toString())}::int8[]
    ) as t(id, title, artist, price, ms, p, o)
    ${newerEventWins(sql)}
    returning id`;
  return rows.map((r) => r.id);
}

/**
 * Whether PostgreSQL refused a statement for its data: SQLSTATE classes 22 (data exception, such
 * as a NUL in text) and 23 (a constraint, such as a CHECK). The same data fails the same way
 * every time; anything else (a lost connection, a timeout) may pass when tried again.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Hands out album ids from `music.album_id_seq`, one block (the sequence's INCREMENT) per
 * database call, so that posting albums without ids costs no round trip per album.
 */
export class IdAllocator {
  readonly #sql: Sql;
  #next = 0;
  #end = 0;
  #refill: Promise<void> | null = null;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async take(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.#next >= this.#end) await this.#fill();
      else ids.push(this.#next++);
    }
    return ids;
  }

  // Concurrent callers share one refill instead of each burning a block.
  #fill(): Promise<void> {
    this.#refill ??= (async () => {
      try {
        const [row] = await this.#sql<{ first: number; size: number }[]>`
          select nextval('music.album_id_seq')::int4 as first,
                 (select increment_by::int4 from pg_sequences
                   where schemaname = 'music' and sequencename = 'album_id_seq') as size`;
        if (!row) throw new Error('music.album_id_seq returned nothing');
        this.#next = row.first;
        this.#end = row.first + row.size;
      } finally {
        this.#refill = null;
      }
    })();
    return this.#refill;
  }
}

// The read API's queries below select the price as float8, the double nearest to the stored
// decimal (what Number() of its text gives), so that a driver row already is an Album: large
// reads allocate nothing per row beyond the driver's row.

/** Filters of the read API's listings. */
export interface AlbumFilter {
  /** One artist, compared case-insensitively as the REST API does; empty for every artist. */
  readonly artist: string;
}

/**
 * Awaits a query, cancelling it in PostgreSQL when `signal` aborts. The caller gets the signal's
 * reason at once; the cancel request frees the backend and its pooled connection soon after,
 * rather than when a slow or blocked statement would have finished.
 */
async function cancelOnAbort<R extends readonly postgres.MaybeRow[]>(
  query: postgres.PendingQuery<R>,
  signal: AbortSignal | undefined,
): Promise<postgres.RowList<R>> {
  if (!signal) return query;
  signal.throwIfAborted();
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = () => {
    reject(signal.reason);
    // The query then fails with "canceling statement due to user request": nobody waits for it.
    query.catch(() => {});
    void cancelInPostgres(query);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([query, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Asks PostgreSQL to cancel a query, as `query.cancel()` does. postgres.js 3.4 drops the promise
 * of its cancel request, so a request that cannot connect (the server just went away) would be
 * an unhandled rejection, which stops the process; the canceller it calls returns that promise,
 * so it is called here directly when present. Resolves once the request was delivered, or
 * could not be.
 */
function cancelInPostgres(query: { cancel(): void }): Promise<void> {
  const internal = query as unknown as { canceller?: ((q: unknown) => unknown) | null };
  const canceller = internal.canceller;
  if (typeof canceller !== 'function') {
    query.cancel();
    return Promise.resolve();
  }
  internal.canceller = null;
  return Promise.resolve(canceller(query)).then(
    () => {},
    () => {},
  );
}

/** Every album, sorted by id, in one query, with only the columns a message needs. */
export function readAllAlbums(sql: Sql, signal?: AbortSignal): Promise<Album[]> {
  return cancelOnAbort(
    sql<Album[]>`select id, title, artist, price::float8 as price from music.albums order by id`,
    signal,
  );
}

/** One album by id, or null. */
export async function readAlbum(sql: Sql, id: number, signal?: AbortSignal): Promise<Album | null> {
  const [row] = await cancelOnAbort(
    sql<Album[]>`
      select id, title, artist, price::float8 as price from music.albums where id = ${id}`,
    signal,
  );
  return row ?? null;
}

/** Up to `limit` albums with ids above `afterId`, sorted by id (keyset pagination). */
export function readAlbumPage(
  sql: Sql,
  page: AlbumFilter & { readonly afterId: number; readonly limit: number },
  signal?: AbortSignal,
): Promise<Album[]> {
  return cancelOnAbort(
    sql<Album[]>`
      select id, title, artist, price::float8 as price from music.albums
      where id > ${page.afterId} ${artistIs(sql, page.artist)}
      order by id
      limit ${page.limit}`,
    signal,
  );
}

/**
 * Every album matching the filter, sorted by id, in chunks of at most `chunkRows` read through a
 * server-side cursor: only the chunk being handed out is in memory, and the next one is fetched
 * when the consumer asks for it. The query ends when the consumer stops early (return/throw) or
 * when `signal` aborts, even while the consumer is not asking for anything.
 */
export async function* streamAlbums(
  sql: Sql,
  filter: AlbumFilter,
  chunkRows: number,
  signal: AbortSignal,
): AsyncGenerator<Album[], void, undefined> {
  signal.throwIfAborted();
  const query = sql<Album[]>`
    select id, title, artist, price::float8 as price from music.albums
    where true ${artistIs(sql, filter.artist)}
    order by id`;
  const cursor = query.cursor(chunkRows)[Symbol.asyncIterator]();
  let fetching = false;
  let cancelled: Promise<void> = Promise.resolve();
  // A fetch in flight is cancelled in PostgreSQL; a cursor waiting for its consumer is closed
  // (the consumer may be stuck writing to a client that went away).
  const onAbort = () => {
    if (fetching) cancelled = cancelInPostgres(query);
    else void cursor.return?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      fetching = true;
      let next: IteratorResult<Album[]>;
      try {
        // Not always a promise: once the portal has completed, postgres.js answers a plain
        // { done: true }, which happens when the last rows and the end arrive together.
        next = await cursor.next();
      } finally {
        fetching = false;
      }
      signal.throwIfAborted();
      if (next.done) return;
      yield next.value;
    }
  } catch (err: unknown) {
    throw signal.aborted ? signal.reason : err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A cancel request that reached the backend after its fetch ended would cancel whatever the
    // pooled connection runs next: the connection goes back only once the request was delivered
    // (PostgreSQL ignores a cancel that finds the backend waiting for a command).
    await cancelled;
    await cursor.return?.();
  }
}

const artistIs = (sql: Sql, artist: string) =>
  artist === '' ? sql`` : sql`and lower(artist) = lower(${artist})`;
