// The REST API as the UI uses it: pages that follow the Link header, and problem details, read
// as the CLI reads them (src/shared/problem-details.ts).
import type { FieldProblem } from '../../../src/shared/errors.ts';
import { readProblem } from '../../../src/shared/problem-details.ts';
import type { AlbumInput, Field, FieldErrors } from './rules.ts';

export interface Album extends AlbumInput {
  id: number;
}

/** An album as `saveAlbum` sends it: without an id to create it, with its id to replace it. */
export type AlbumToSave = AlbumInput & { id?: number };

/** Where a Link relation leads: the page's cursor, null for the first page. */
export type PageLink = { cursor: string | null };

export interface Page {
  albums: Album[];
  /** The cursor of the next page, from the `Link: <…>; rel="next"` header. */
  next: string | null;
  /** The previous page (rel="prev"), when the server links it; absent on the first page. */
  prev?: PageLink | undefined;
  /** How many albums match, from `X-Total-Count`; null when the server does not say. */
  total: number | null;
  /** Whether `total` is PostgreSQL's estimate (`X-Total-Count-Estimated: true`, large counts). */
  totalEstimated: boolean;
}

/** An answer other than 2xx, with its RFC 9457 field problems keyed by field. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly fields: FieldErrors;
  constructor(status: number, message: string, fields: FieldErrors = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

const FIELDS: readonly Field[] = ['title', 'artist', 'price'];

/** Field problems from `errors[].pointer` (`/price`; `/0/price` in a batch). */
export function fieldsOf(errors: readonly FieldProblem[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const { pointer, detail } of errors) {
    const name = pointer.split('/').at(-1) as Field;
    if (FIELDS.includes(name) && !fields[name]) fields[name] = detail;
  }
  return fields;
}

async function problemOf(res: Response): Promise<ApiProblem> {
  const { status, message, fields } = await readProblem(res);
  return new ApiProblem(status, message ?? `The server answered ${status}`, fieldsOf(fields));
}

/** The relations of an RFC 8288 Link header, each with the cursor of its target. */
export function pageLinks(link: string | null): Map<string, PageLink> {
  const links = new Map<string, PageLink>();
  for (const part of link?.split(',') ?? []) {
    const match = /<([^>]*)>\s*;\s*rel="?([^";]+)"?/.exec(part);
    if (!match?.[1] || !match[2]) continue;
    const cursor = new URL(match[1], 'http://x').searchParams.get('cursor') || null;
    for (const rel of match[2].trim().split(/\s+/)) links.set(rel, { cursor });
  }
  return links;
}

/** The `rel="next"` cursor of an RFC 8288 Link header. */
export function nextCursor(link: string | null): string | null {
  return pageLinks(link).get('next')?.cursor ?? null;
}

export interface ListQuery {
  q?: string;
  /** The REST API's `sort` (`-price`); left out for its default, id ascending. */
  sort?: string | undefined;
  cursor?: string | null;
  limit: number;
}

export async function listAlbums(query: ListQuery, signal?: AbortSignal): Promise<Page> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.q) params.set('q', query.q);
  if (query.sort && query.sort !== 'id') params.set('sort', query.sort);
  if (query.cursor) params.set('cursor', query.cursor);
  const res = await fetch(`/api/v1/albums?${params}`, { signal: signal ?? null });
  if (!res.ok) throw await problemOf(res);
  const links = pageLinks(res.headers.get('link'));
  const total = res.headers.get('x-total-count');
  return {
    albums: (await res.json()) as Album[],
    next: links.get('next')?.cursor ?? null,
    prev: links.get('prev'),
    total: total !== null && /^\d+$/.test(total) ? Number(total) : null,
    totalEstimated: res.headers.get('x-total-count-estimated') === 'true',
  };
}

/**
 * Deletes albums: `DELETE /api/v1/albums/{id}` for one, `POST /api/v1/albums:delete` for more.
 * Resolves once Kafka took the tombstones (202); the rows go when a consumer stored them.
 * `keepalive` lets the request outlive the page (deletes sent as the tab closes).
 */
export async function deleteAlbums(ids: readonly number[], keepalive = false): Promise<void> {
  const res =
    ids.length === 1
      ? await fetch(`/api/v1/albums/${ids[0]}`, { method: 'DELETE', keepalive })
      : await fetch('/api/v1/albums:delete', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ ids }),
          keepalive,
        });
  if (!res.ok) throw await problemOf(res);
}

export async function getAlbum(id: number): Promise<Album | null> {
  const res = await fetch(`/api/v1/albums/${id}`);
  if (res.status === 404) return null;
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Album;
}

/** Creates (no id) or replaces an album; resolves once Kafka accepted it (202). */
export async function saveAlbum(album: AlbumToSave): Promise<Album> {
  const res = await fetch('/api/v1/album', {
    method: album.id === undefined ? 'POST' : 'PUT',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(album),
  });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Album;
}
