import pRetry from 'p-retry';
import type { Album } from '../../domain/album.ts';
import { PageSize } from '../../domain/listing.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { AlbumList, OneAlbum } from './answered-album.ts';
import { type RetryPolicy, retryOptions } from './answers.ts';
import { fetchAnswer } from './fetch-answer.ts';

export interface AlbumReadClientOptions {
  /** Where the REST API answers, such as http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** Bounds each request (each page of a listing). */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

/** A listing through GET /api/v1/albums: its filters and how many albums to read at most. */
export interface AlbumReadQuery {
  readonly artist?: string | undefined;
  readonly q?: string | undefined;
  /** The API's `sort` parameter (`-price,title`); absent for its default order (id). */
  readonly sort?: string | undefined;
  /** Absent: every page. */
  readonly limit?: number | undefined;
}

/** The album reads of the REST API, as a client sees them. */
export interface AlbumReadClient {
  /** Albums in the API's order, following its `Link: rel="next"` pages up to `limit`. */
  list(query: AlbumReadQuery): Promise<Album[]>;
  /** GET /api/v1/albums/{id}; a 404 is a not_found AppError. */
  get(id: number): Promise<Album>;
}

/** The target of the `rel="next"` link of an RFC 8288 Link header, if there is one. */
export function nextLink(header: string | null): string | undefined {
  for (const link of header?.split(/,(?=\s*<)/) ?? []) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(link);
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match?.[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (match && rels.includes('next')) return match[1];
  }
  return undefined;
}

/**
 * A client of the REST API's album reads on fetch. Reads are safe to repeat, so the answers
 * that say "try again" (503, 429) are retried as writes are.
 */
export function createAlbumReadClient(o: AlbumReadClientOptions): AlbumReadClient {
  const getJson = (url: URL): Promise<{ body: unknown; link: string | null }> =>
    pRetry(async () => {
      const res = await fetchAnswer(url, { headers: { accept: 'application/json' } }, o.timeoutMs);
      return { body: (await res.json()) as unknown, link: res.headers.get('link') };
    }, retryOptions(o.retry));
  const unexpected = (what: string) =>
    new AppError(ErrorCode.Internal, `the REST API answered ${what} that is not what it documents`);

  return {
    async list(query) {
      const limit = query.limit ?? Number.POSITIVE_INFINITY;
      const first = new URL('/api/v1/albums', o.baseUrl);
      first.searchParams.set('limit', String(Math.min(limit, PageSize.max)));
      if (query.artist !== undefined) first.searchParams.set('artist', query.artist);
      if (query.q !== undefined) first.searchParams.set('q', query.q);
      if (query.sort !== undefined) first.searchParams.set('sort', query.sort);
      const albums: Album[] = [];
      let url: URL | undefined = first;
      while (url !== undefined && albums.length < limit) {
        const { body, link } = await getJson(url);
        if (!AlbumList.Check(body)) throw unexpected('a list');
        albums.push(...body.slice(0, limit - albums.length));
        const next = nextLink(link);
        url = next === undefined ? undefined : new URL(next, url);
      }
      return albums;
    },
    async get(id) {
      const { body } = await getJson(new URL(`/api/v1/albums/${id}`, o.baseUrl));
      if (!OneAlbum.Check(body)) throw unexpected('an album');
      return body;
    },
  };
}
