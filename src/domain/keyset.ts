import { AppError, ErrorCode } from '../shared/errors.ts';
import type { Album } from './album.ts';
import {
  type AlbumSort,
  BY_ID,
  formatSort,
  isSortValue,
  type SortValue,
  sortValuesOf,
  totalOrder,
} from './album-sort.ts';
import { decodeCursor } from './listing.ts';

// Keyset paging in any sort (the REST API's listing): a cursor names a position in one order,
// the sort keys' values of an album and its id, and whether the page is after or before it.
// Stores read `limit + 1` rows from the position in the order (backwards for `before`), so each
// page costs an index range scan however deep it is, and concurrent writes never shift a page.

/** Where a page starts: strictly after or before the album with these values of `totalOrder`. */
export interface Position {
  readonly before: boolean;
  readonly values: readonly SortValue[];
}

/** A listing as the REST API asks its store for it. */
export interface SortedListingQuery {
  /** Albums per page, from 1 to `PageSize.max`. */
  readonly limit: number;
  /** Only this artist (see `artistFilter`); absent for every artist. */
  readonly artist?: string | undefined;
  /** Text in the title or the artist (see `containsPattern`). */
  readonly q?: string | undefined;
  /** The order asked for; `totalOrder` is what stores sort by. */
  readonly sort: AlbumSort;
  /** From a cursor; absent for the first page. */
  readonly from?: Position | undefined;
}

/** One page of a sorted listing, with the cursors of its neighbours. */
export interface SortedPage<T> {
  readonly items: T[];
  /** The cursor of the page after this one, or null when none follows. */
  readonly next: string | null;
  /** The cursor of the page before this one, or null when this page is the first. */
  readonly prev: string | null;
}

// Version s1: base64url JSON [sort, "a"|"b", ...values]. The sort is inside so that a cursor
// used with another sort is refused instead of silently skipping or repeating albums.
const VERSION = 's1';

/** The cursor of the position `values` in `sort`'s order, after (next) or before (prev) it. */
export function encodeSortCursor(sort: AlbumSort, position: Position): string {
  const body = [VERSION, formatSort(sort), position.before ? 'b' : 'a', ...position.values];
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/**
 * The position a cursor names, when it was given out for `sort`. The cursors of the id-only
 * API (`decodeCursor`: `a1:` and, from its first version, JSON `{"after":id}`) stay valid for
 * the order by id, which is all they could name. Anything else is one INVALID_ARGUMENT error
 * naming the field; a cursor of another sort says so.
 */
export function decodeSortCursor(cursor: string, sort: AlbumSort, name = 'cursor'): Position {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`["${VERSION}"`)) {
    const afterId = decodeCursor(cursor, { name, acceptJson: true });
    if (formatSort(totalOrder(sort)) !== formatSort(BY_ID)) throw otherSort(name, 'id');
    return { before: false, values: [afterId] };
  }
  const [, given, direction, ...values] = parseArray(text) ?? [];
  if (typeof given !== 'string' || (direction !== 'a' && direction !== 'b')) throw invalid(name);
  if (given !== formatSort(sort)) throw otherSort(name, given);
  const order = totalOrder(sort);
  const valid =
    values.length === order.length && order.every((k, i) => isSortValue(k.field, values[i]));
  if (!valid) throw invalid(name);
  const position = { before: direction === 'b', values: values as SortValue[] };
  // Only what this API gives out: base64url decoding skips stray characters.
  if (encodeSortCursor(sort, position) !== cursor) throw invalid(name);
  return position;
}

/**
 * The page of `query.limit` albums in `rows`, which a store read from `query.from` in
 * `totalOrder(query.sort)` (in reverse for a `before` position), `limit + 1` at most: the extra
 * row tells whether another page follows in the direction read.
 */
export function sortedPageOf(rows: Album[], query: SortedListingQuery): SortedPage<Album> {
  const order = totalOrder(query.sort);
  const backwards = query.from?.before === true;
  const more = rows.length > query.limit;
  const read = rows.slice(0, query.limit);
  const items = backwards ? read.reverse() : read;
  const cursor = (before: boolean, album: Album | undefined) =>
    album === undefined
      ? // An empty page past either end: its neighbour is the cursor's own position.
        query.from && query.from.before !== before
        ? encodeSortCursor(query.sort, { before, values: query.from.values })
        : null
      : encodeSortCursor(query.sort, { before, values: sortValuesOf(album, order) });
  // Read forwards from a position, albums precede it; read backwards, albums follow it.
  const hasNext = backwards ? query.from !== undefined : more;
  const hasPrev = backwards ? more : query.from !== undefined;
  return {
    items,
    next: hasNext ? cursor(false, items.at(-1)) : null,
    prev: hasPrev ? cursor(true, items[0]) : null,
  };
}

function parseArray(text: string): unknown[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const invalid = (name: string) =>
  new AppError(ErrorCode.InvalidArgument, `The ${name} is not one this API gave out`, {
    fields: [{ pointer: `/${name}`, detail: 'is not a valid cursor' }],
  });

const otherSort = (name: string, given: string) =>
  new AppError(
    ErrorCode.InvalidArgument,
    `The ${name} was given out for sort=${given}: send it with that sort, or start again without a ${name}`,
    { fields: [{ pointer: `/${name}`, detail: `belongs to sort=${given}` }] },
  );
