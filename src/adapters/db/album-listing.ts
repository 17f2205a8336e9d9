import type { Album } from '../../domain/album.ts';
import { type AlbumSort, totalOrder } from '../../domain/album-sort.ts';
import { artistFilter, containsPattern } from '../../domain/listing.ts';
import type { Sql } from './client.ts';

/** A listing of albums as people ask for one: filtered, ordered, and cut at a number. */
export interface AlbumListing {
  /** Only this artist: the domain's rule (`artistFilter`), the whole name in any case. */
  readonly artist?: string | undefined;
  /** Text in the title or the artist (`containsPattern`). */
  readonly q?: string | undefined;
  /** The order, first key first; completed by the domain's `totalOrder` (ties by id). */
  readonly orderBy: AlbumSort;
  /** At most this many albums; absent for all. */
  readonly limit?: number | undefined;
}

/**
 * Albums in one query, ordered by PostgreSQL (the whole table, not a page of it). The order's
 * fields are checked against a closed list and passed as identifiers, never as text to splice.
 */
export function listAlbums(sql: Sql, listing: AlbumListing): Promise<Album[]> {
  const artist = artistFilter(listing);
  // The REST API's order exactly, so `db list --sort` and `sort=` agree on ties.
  const order = totalOrder(listing.orderBy)
    .map((k) => sql`${sql(k.field)} ${k.descending ? sql`desc` : sql`asc`}`)
    .reduce((acc, key) => sql`${acc}, ${key}`);
  return sql<Album[]>`
    select id, title, artist, price::float8 as price from music.albums
    where true
      ${artist === null ? sql`` : sql`and lower(artist) = lower(${artist})`}
      ${listing.q ? sql`and (title ilike ${containsPattern(listing.q)} or artist ilike ${containsPattern(listing.q)})` : sql``}
    order by ${order}
    ${listing.limit === undefined ? sql`` : sql`limit ${listing.limit}`}`;
}
