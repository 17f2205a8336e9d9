import { DEFAULT_RETRY } from '../../../adapters/http/album-api-client.ts';
import {
  type AlbumReadClient,
  createAlbumReadClient,
} from '../../../adapters/http/album-read-client.ts';
import { formatSort } from '../../../domain/album-sort.ts';
import { type CliContext, serviceUrl } from '../context.ts';
import { reaching } from '../failure.ts';
import type { ListOptions } from '../list-options.ts';
import { albumTable } from '../output.ts';

/** Bounds one request: a page of a listing, or one album. */
const REQUEST_TIMEOUT_MS = 30_000;

function reading<T>(ctx: CliContext, work: (api: AlbumReadClient) => Promise<T>): Promise<T> {
  const config = ctx.config();
  const baseUrl = serviceUrl(config.REST_HOST, config.REST_PORT);
  const api = createAlbumReadClient({
    baseUrl,
    timeoutMs: REQUEST_TIMEOUT_MS,
    retry: DEFAULT_RETRY,
  });
  return reaching('the REST API', baseUrl, () => work(api));
}

/** `music rest list`: GET /api/v1/albums, page after page, up to --limit. */
export async function listAlbums(ctx: CliContext, o: ListOptions): Promise<void> {
  const sort = formatSort(o.sort);
  const albums = await reading(ctx, (api) =>
    // The API's default order (id) is sent as no sort, as older servers understand.
    api.list({
      artist: o.artist,
      q: o.query,
      limit: o.limit,
      sort: sort === 'id' ? undefined : sort,
    }),
  );
  ctx.out.result(albums, (width) => albumTable(albums, width));
}

/** `music rest get`: GET /api/v1/albums/{id}. */
export async function getAlbum(ctx: CliContext, id: number): Promise<void> {
  const album = await reading(ctx, (api) => api.get(id));
  ctx.out.result(album, (width) => albumTable([album], width));
}
