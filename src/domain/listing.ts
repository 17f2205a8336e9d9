import { AppError, ErrorCode } from '../shared/errors.ts';
import { type Album, isAlbumId } from './album.ts';
import type { SortedListingQuery, SortedPage } from './keyset.ts';

// The rules of album listings, shared by the REST API (Drizzle) and the gRPC API (raw SQL):
// both page by keyset (ids above the last one seen), sorted by id.

/** Albums per page: the default and the most a request may ask for. */
export const PageSize = { default: 50, max: 500 } as const;

/** Whether a page of `size` albums may be asked for: 1 to `PageSize.max`. */
export function isPageSize(size: number): boolean {
  return Number.isInteger(size) && size >= 1 && size <= PageSize.max;
}

/** A listing as the read APIs ask their stores for it. */
export interface ListingQuery {
  /** Only albums with an id above this one (see `decodeCursor`); absent for the first page. */
  readonly afterId?: number | undefined;
  /** Albums per page, from 1 to `PageSize.max`. */
  readonly limit: number;
  /** Only this artist (see `artistFilter`); absent or '' for every artist. */
  readonly artist?: string | undefined;
  /** Text in the title or the artist, in any case (the REST API only). */
  readonly q?: string | undefined;
}

/** One page of a listing. */
export interface Page<T> {
  readonly items: T[];
  /** The cursor of the next page, or null when this page is the last. */
  readonly next: string | null;
}

/** The rows a store reads for a page of `limit`: one more tells whether another page follows. */
export function rowsForPage(limit: number): number {
  return limit + 1;
}

/** The page of `limit` items in `rows`, read sorted by id with `rowsForPage(limit)` at most. */
export function pageOf<T extends { readonly id: number }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: last === undefined ? null : encodeCursor(last.id) };
}

/**
 * The artist a listing is narrowed to, or null for every artist ('' is proto3's "not set").
 * A name matches in whole and in any case: each store compares `lower(artist) = lower($1)`,
 * PostgreSQL's case folding, which the index on (lower(artist), id) serves.
 */
export function artistFilter(query: Pick<ListingQuery, 'artist'>): string | null {
  return query.artist === undefined || query.artist === '' ? null : query.artist;
}

/**
 * The ILIKE pattern of a listing's text filter (`q`): the text anywhere in the value, in any
 * case, matched literally (the user's `%`, `_` and `\` are escaped, not wildcards). Stores test
 * `title ILIKE pattern OR artist ILIKE pattern`.
 */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Whether an album passes a listing's text filter, for a client that filters what a service
 * without one streams: `containsPattern`'s rule, with JavaScript's case folding standing in for
 * PostgreSQL's (they agree but for a few special cases such as the Turkish dotless i).
 */
export function containsText(album: Pick<Album, 'title' | 'artist'>, q: string): boolean {
  const text = q.toLowerCase();
  return album.title.toLowerCase().includes(text) || album.artist.toLowerCase().includes(text);
}

/**
 * Refuses filter text that contains NUL, naming each such field (`fields` by the API's own
 * names): PostgreSQL text cannot hold NUL, so the filter could only fail in the database.
 */
export function refuseNul(fields: Readonly<Record<string, string | undefined>>): void {
  const bad = Object.keys(fields).filter((name) => fields[name]?.includes('\u0000'));
  if (bad.length === 0) return;
  throw new AppError(ErrorCode.InvalidArgument, `${bad.join(' and ')} ${NUL_DETAIL}`, {
    fields: bad.map((name) => ({ pointer: `/${name}`, detail: NUL_DETAIL })),
  });
}

const NUL_DETAIL = 'must not contain NUL characters';

// A cursor is the last id of the previous page, versioned and base64url encoded so that clients
// treat it as opaque and its format can change without breaking them. Both APIs give out this
// format; the REST API gave out base64url JSON `{"after":id}` before, which it still accepts.
const PREFIX = 'a1:';
const FORMAT = /^a1:(-?[1-9][0-9]{0,9})$/;

/** The cursor of the page after the one ending with album `lastId`. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`).toString('base64url');
}

/** Base64url JSON `{"after":id}`: the cursors the REST API gave out before version a1. */
const encodeJsonCursor = (lastId: number) =>
  Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');

/** A request field that carries a cursor. */
export interface CursorField {
  /** Its name in the request, for the error. */
  readonly name: string;
  /** Whether it also takes the JSON cursors the REST API gave out before version a1. */
  readonly acceptJson?: boolean | undefined;
}

/**
 * The id after which the page a cursor names starts. A cursor is valid only when it is exactly
 * what the API gives (or gave) out for an album id (`isAlbumId`): base64url decoding
 * ignores what is not base64url, so the round trip must give the cursor back. Anything else is
 * one INVALID_ARGUMENT error, naming the field.
 */
export function decodeCursor(cursor: string, field: CursorField): number {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const json = field.acceptJson === true && text.startsWith('{');
  const id = json ? jsonCursorId(text) : Number(FORMAT.exec(text)?.[1]);
  if (isAlbumId(id) && (json ? encodeJsonCursor(id) : encodeCursor(id)) === cursor) return id;
  throw new AppError(ErrorCode.InvalidArgument, `The ${field.name} is not one this API gave out`, {
    fields: [{ pointer: `/${field.name}`, detail: 'is not a valid cursor' }],
  });
}

function jsonCursorId(text: string): number {
  try {
    const { after } = JSON.parse(text) as { after?: unknown };
    return typeof after === 'number' ? after : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** How many albums a listing's filter matches. */
export interface Total {
  readonly count: number;
  /** Whether `count` is an estimate: only when above `EXACT_TOTAL_UP_TO`. */
  readonly estimated: boolean;
}

/**
 * Totals are exact up to this many albums. Above it a count would read every matching row on
 * every page, so stores answer an estimate instead (PostgreSQL's own statistics).
 */
export const EXACT_TOTAL_UP_TO = 10_000;

/** The read side of the catalogue that the REST API lists and gets albums through. */
export interface AlbumReads {
  /** One page in the query's sort, from its cursor's position. */
  list(query: SortedListingQuery): Promise<SortedPage<Album>>;
  /** How many albums the filter matches (see `Total`). */
  count(filter: Pick<ListingQuery, 'artist' | 'q'>): Promise<Total>;
  /** One album by id, or null. */
  get(id: number): Promise<Album | null>;
}
