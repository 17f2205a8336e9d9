import type { Album } from '../../domain/album.ts';
import {
  artistFilter,
  type ListingQuery,
  type Page,
  pageOf,
  rowsForPage,
} from '../../domain/listing.ts';
import type { Sql } from './client.ts';
import { cancelInPostgres, cancelOnAbort } from './query-cancel.ts';

// The read API's queries below select the price as float8, the double nearest to the stored
// decimal (what Number() of its text gives), so that a driver row already is an Album: large
// reads allocate nothing per row beyond the driver's row.

/** The filter of the gRPC API's listings: one artist (`artistFilter`'s rule), or '' for all. */
export type AlbumFilter = Pick<ListingQuery, 'artist'>;

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

/** One page of albums sorted by id, above the query's `afterId` (keyset pagination). */
export async function readAlbumPage(
  sql: Sql,
  query: Omit<ListingQuery, 'q'>,
  signal?: AbortSignal,
): Promise<Page<Album>> {
  const rows = await cancelOnAbort(
    sql<Album[]>`
      select id, title, artist, price::float8 as price from music.albums
      where true ${afterIdIs(sql, query)} ${artistIs(sql, query)}
      order by id
      limit ${rowsForPage(query.limit)}`,
    signal,
  );
  return pageOf(rows, query.limit);
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
    where true ${artistIs(sql, filter)}
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

// The domain's artist rule (listing.ts), which the Drizzle repository states the same way.
// The first page has no lower bound: ids may be negative (any int32 but 0).
function afterIdIs(sql: Sql, query: Pick<ListingQuery, 'afterId'>) {
  return query.afterId === undefined ? sql`` : sql`and id > ${query.afterId}`;
}

function artistIs(sql: Sql, filter: AlbumFilter) {
  const artist = artistFilter(filter);
  return artist === null ? sql`` : sql`and lower(artist) = lower(${artist})`;
}
