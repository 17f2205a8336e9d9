import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiProblem, deleteAlbums, fieldsOf, listAlbums, nextCursor, saveAlbum } from './api.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

/** The problem `saveAlbum` throws when the server answers `res`. */
async function problemFor(res: Response): Promise<ApiProblem> {
  vi.stubGlobal('fetch', async () => res);
  const saving = saveAlbum({ title: 'x', artist: 'y', price: 1 });
  const err: unknown = await saving.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiProblem);
  return err as ApiProblem;
}

describe('api', () => {
  it('reads the next cursor from an RFC 8288 Link header', () => {
    expect(nextCursor('</api/v1/albums?limit=20&cursor=eyJhZnRlciI6NH0>; rel="next"')).toBe(
      'eyJhZnRlciI6NH0',
    );
    expect(nextCursor(null)).toBeNull();
    expect(nextCursor('</x?cursor=a>; rel="prev"')).toBeNull();
  });

  it('reads the sort, the total and the first/prev/next links of a page', async () => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url);
      return Response.json([], {
        headers: {
          'x-total-count': '12345',
          link:
            '</api/v1/albums?limit=20&sort=-price&cursor=n1>; rel="next", ' +
            '</api/v1/albums?limit=20&sort=-price&cursor=p1>; rel="prev", ' +
            '</api/v1/albums?limit=20&sort=-price>; rel="first"',
        },
      });
    });
    const page = await listAlbums({ q: 'x', sort: '-price', cursor: 'c0', limit: 20 });
    expect(asked).toEqual(['/api/v1/albums?limit=20&q=x&sort=-price&cursor=c0']);
    expect(page).toEqual({
      albums: [],
      next: 'n1',
      prev: { cursor: 'p1' },
      total: 12345,
      totalEstimated: false,
    });
    // The default order is the API's default: no sort parameter.
    await listAlbums({ sort: 'id', limit: 20 });
    expect(asked[1]).toBe('/api/v1/albums?limit=20');
  });

  it('deletes one album by its URL and several in one batch', async () => {
    const sent: [string, RequestInit | undefined][] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      sent.push([url, init]);
      return new Response(null, { status: 202 });
    });
    await deleteAlbums([7]);
    await deleteAlbums([1, 2], true);
    expect(sent.map(([url, init]) => [url, init?.method, init?.body, init?.keepalive])).toEqual([
      ['/api/v1/albums/7', 'DELETE', undefined, false],
      ['/api/v1/albums:delete', 'POST', '{"ids":[1,2]}', true],
    ]);
  });

  it('maps problem pointers to form fields, batch pointers included', () => {
    expect(
      fieldsOf([
        { pointer: '/price', detail: 'must be multiple of 0.01' },
        { pointer: '/0/title', detail: 'must NOT have fewer than 1 characters' },
        { pointer: '/extra', detail: 'is not a known field' },
      ]),
    ).toEqual({
      price: 'must be multiple of 0.01',
      title: 'must NOT have fewer than 1 characters',
    });
  });

  it('turns a problem+json answer into its message and field problems', async () => {
    const body = {
      title: 'Invalid request',
      detail: 'The request body is invalid',
      errors: [{ pointer: '/price', detail: 'must be >= 0' }],
    };
    const problem = await problemFor(
      new Response(JSON.stringify(body), {
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    expect([problem.status, problem.message, problem.fields]).toEqual([
      400,
      'The request body is invalid',
      { price: 'must be >= 0' },
    ]);
  });

  it('says the status when the answer is no problem document', async () => {
    const problem = await problemFor(new Response('<html>Bad gateway</html>', { status: 502 }));
    expect([problem.status, problem.message, problem.fields]).toEqual([
      502,
      'The server answered 502',
      {},
    ]);
    // JSON that is not problem+json, such as an album, is no message (its title is no error).
    const album = { id: 1, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
    const json = await problemFor(Response.json(album, { status: 500 }));
    expect(json.message).toBe('The server answered 500');
  });
});
