import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiProblem, fieldsOf, nextCursor, saveAlbum } from './api.ts';

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
