// What the album list shows, kept in the page's query string so that reload, back/forward and a
// shared link show the same albums: `?q=train&sort=-price&limit=50&page=2&cursor=…`. Defaults
// are left out, so the plain address is the first page of the whole catalogue by id.

export const SORT_KEYS = ['id', 'title', 'artist', 'price'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** A column and its direction, as the REST API's `sort` parameter spells it (`-price`). */
export interface Sort {
  key: SortKey;
  descending: boolean;
}

export const PAGE_SIZES = [10, 20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;
export const DEFAULT_SORT: Sort = { key: 'id', descending: false };

export interface ListState {
  /** Text in the title or artist; '' for all. */
  q: string;
  sort: Sort;
  limit: number;
  /** The position of the page, opaque, from a Link header; null for the first page. */
  cursor: string | null;
  /** The page's number, 1 for the first: shown, and for the rows' numbers ("21–40"). */
  page: number;
  /** An album to open in the editor (the link of a "saved" toast); null for none. */
  album: number | null;
}

export function parseSort(text: string | null): Sort {
  const match = /^(-?)([a-z]+)$/.exec(text?.trim() ?? '');
  const key = match?.[2] as SortKey | undefined;
  if (!match || !key || !SORT_KEYS.includes(key)) return { ...DEFAULT_SORT };
  return { key, descending: match[1] === '-' };
}

export function formatSort(sort: Sort): string {
  return `${sort.descending ? '-' : ''}${sort.key}`;
}

export function sameSort(a: Sort, b: Sort): boolean {
  return a.key === b.key && a.descending === b.descending;
}

function positiveInt(text: string | null): number | null {
  if (text === null || !/^\d{1,9}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 ? n : null;
}

/** The list state of a query string; anything unknown or invalid falls back to its default. */
export function readListState(search: string): ListState {
  const params = new URLSearchParams(search);
  const limit = positiveInt(params.get('limit'));
  const cursor = params.get('cursor') || null;
  return {
    q: (params.get('q') ?? '').trim().slice(0, 200),
    sort: parseSort(params.get('sort')),
    limit:
      limit !== null && (PAGE_SIZES as readonly number[]).includes(limit)
        ? limit
        : DEFAULT_PAGE_SIZE,
    cursor,
    // A page number without its cursor would be a lie: the first page is page 1.
    page: cursor === null ? 1 : (positiveInt(params.get('page')) ?? 1),
    album: positiveInt(params.get('album')),
  };
}

/** The query string of a list state ('' or `?…`), without the defaults. */
export function listStateQuery(state: ListState): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (!sameSort(state.sort, DEFAULT_SORT)) params.set('sort', formatSort(state.sort));
  if (state.limit !== DEFAULT_PAGE_SIZE) params.set('limit', String(state.limit));
  if (state.cursor !== null) {
    params.set('page', String(state.page));
    params.set('cursor', state.cursor);
  }
  if (state.album !== null) params.set('album', String(state.album));
  const text = params.toString();
  return text ? `?${text}` : '';
}
