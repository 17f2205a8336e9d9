import type { Album } from './api.ts';
import type { Sort } from './url-state.ts';

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** The order of a listing sorted by `sort`, as the REST API pages it: ties by id, same direction. */
export function compareAlbums(a: Album, b: Album, sort: Sort): number {
  const x = a[sort.key];
  const y = b[sort.key];
  const order =
    typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
  const tied = order !== 0 ? order : a.id - b.id;
  return sort.descending ? -tied : tied;
}

/**
 * The page with the albums of `extra` that sort into it, each where it belongs: between the
 * page's first and last album, or before the first on the first page, or after the last on the
 * last page. Albums written here show at once, before the page is fetched again with them.
 * (Text order is the browser's here and the database's on the server: the refetch that follows
 * once a consumer stored the album settles any difference.)
 */
export function placeInPage(
  page: readonly Album[],
  extra: readonly Album[],
  sort: Sort,
  bounds: { first: boolean; last: boolean },
): Album[] {
  const head = page[0];
  const tail = page.at(-1);
  const onPage = new Set(page.map((a) => a.id));
  const belongs = (album: Album) =>
    !onPage.has(album.id) &&
    (bounds.first || head === undefined || compareAlbums(album, head, sort) >= 0) &&
    (bounds.last || tail === undefined || compareAlbums(album, tail, sort) <= 0);
  // Inserted one by one, so that the server's own order of the page is kept as it is.
  const rows = [...page];
  for (const album of extra.filter(belongs)) {
    const at = rows.findIndex((row) => compareAlbums(album, row, sort) < 0);
    rows.splice(at === -1 ? rows.length : at, 0, album);
  }
  return rows;
}
