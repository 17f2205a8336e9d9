import { AppError, ErrorCode } from '../shared/errors.ts';
import { type Album, isAlbumId } from './album.ts';

// The orders an album listing can have, shared by the REST API (sort=, keyset cursors) and the
// CLI's `db list`: one definition of the fields, of how `-price,title` is written and of how
// ties are broken, so that every store sorts the same way.

/** The fields an album listing can be sorted by. */
export const SORT_FIELDS = ['id', 'title', 'artist', 'price'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** One sort key: a field, ascending unless `descending`. */
export interface SortKey {
  readonly field: SortField;
  readonly descending: boolean;
}

/** A listing's order as asked for, first key first. */
export type AlbumSort = readonly SortKey[];

/** The order of a listing that asks for none. */
export const BY_ID: AlbumSort = [{ field: 'id', descending: false }];

/** Why a sort text is refused, for the caller to word as its own error. */
export type SortProblem = 'unknown' | 'repeated';

/**
 * The keys of a sort written as `-price,title` (fields separated by commas, `-` for descending,
 * each field once, only `fields`), or what is wrong with it.
 */
export function readSort(
  text: string,
  fields: readonly SortField[] = SORT_FIELDS,
): AlbumSort | SortProblem {
  const keys: SortKey[] = [];
  for (const part of text.split(',')) {
    const descending = part.startsWith('-');
    const field = fields.find((f) => f === (descending ? part.slice(1) : part));
    if (field === undefined) return 'unknown';
    keys.push({ field, descending });
  }
  return new Set(keys.map((k) => k.field)).size === keys.length ? keys : 'repeated';
}

/** `readSort` for a request parameter: a problem is one INVALID_ARGUMENT error naming it. */
export function parseSort(text: string, name = 'sort'): AlbumSort {
  const sort = readSort(text);
  if (typeof sort !== 'string') return sort;
  const detail = sort === 'repeated' ? SORT_REPEATED : SORT_DETAIL;
  throw new AppError(ErrorCode.InvalidArgument, `The ${name} ${detail}`, {
    fields: [{ pointer: `/${name}`, detail }],
  });
}

export const SORT_DETAIL = `must be fields from ${SORT_FIELDS.join(', ')} separated by commas, each descending with a leading - (e.g. -price,title)`;
const SORT_REPEATED = 'must name each field once';

/** The sort written as a request carries it: `-price,title`. */
export function formatSort(sort: AlbumSort): string {
  return sort.map((k) => `${k.descending ? '-' : ''}${k.field}`).join(',');
}

/**
 * The order stores apply: the keys asked for, cut after id (unique, so nothing after it
 * matters), then id in the direction of the last key when id was not asked for. Ties follow the
 * last key's direction so that a one-field sort is one index on (field, id), read forwards or
 * backwards, and the order is total, which keyset paging needs.
 */
export function totalOrder(sort: AlbumSort): AlbumSort {
  const idAt = sort.findIndex((k) => k.field === 'id');
  if (idAt >= 0) return sort.slice(0, idAt + 1);
  const last = sort.at(-1);
  return [...sort, { field: 'id', descending: last?.descending ?? false }];
}

/** The order read backwards: each key's direction turned round. */
export function reversed(order: AlbumSort): AlbumSort {
  return order.map((k) => ({ field: k.field, descending: !k.descending }));
}

/** One value of a sort key: a number for id and price, text for title and artist. */
export type SortValue = string | number;

/** The values of `order`'s keys in an album: where it stands in that order. */
export function sortValuesOf(album: Album, order: AlbumSort): SortValue[] {
  return order.map((k) => album[k.field]);
}

/** Whether `value` can be the value of `field` in an album (as a cursor may carry it). */
export function isSortValue(field: SortField, value: unknown): value is SortValue {
  switch (field) {
    case 'id':
      return typeof value === 'number' && isAlbumId(value);
    case 'price':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0;
    default:
      return typeof value === 'string' && value.length <= 200;
  }
}
