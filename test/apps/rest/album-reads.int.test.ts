// The REST read path against the real database: 1,234 rows of our own, found through a unique
// artist name because the run's database is shared by the test files.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { nextLink } from '../../../src/adapters/http/album-read-client.ts';
import { type Album, centsToDecimal } from '../../../src/domain/album.ts';
import { buildReadRestApp, insertAlbums } from '../../support/rest-app.ts';
import { idBlock, testSql, uniqueName } from '../../support/stack.ts';

const COUNT = 1234;
const sql = testSql();
const ids = idBlock(COUNT + 1);
/** Never inserted: the id of a missing album. */
const missingId = ids.pop() as number;
const artist = `Reads Artist ${uniqueName('reads')}`;
// A word only some titles hold, in mixed case, to search for in another case.
const token = `QuIxOtIc${randomBytes(3).toString('hex')}`;
const hasToken = (i: number) => i % 10 === 3;

const albums: Album[] = ids.map((id, i) => {
  const cents = BigInt((i * 7919) % 10_000_000);
  return {
    id,
    title: hasToken(i) ? `The ${token} Sessions, take ${i}` : `Take ${i}`,
    artist,
    price: Number(centsToDecimal(cents)),
  };
});

let app: Awaited<ReturnType<typeof buildReadRestApp>>;

before(async () => {
  await insertAlbums(sql, albums);
  app = await buildReadRestApp(sql);
});

after(async () => {
  await app?.close();
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql.end({ timeout: 5 });
});

/** Follows `Link: rel="next"` from `url` until it is absent; returns every page. */
async function allPages(url: string): Promise<Album[][]> {
  const pages: Album[][] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const res: Awaited<ReturnType<typeof app.inject>> = await app.inject({
      method: 'GET',
      url: next,
    });
    assert.equal(res.statusCode, 200, res.body);
    pages.push(res.json<Album[]>());
    next = nextLink((res.headers.link as string | undefined) ?? null);
    assert.ok(pages.length <= COUNT, 'paging ends');
  }
  return pages;
}

const qs = (params: Record<string, string>) => new URLSearchParams(params).toString();

test('paging with limit=100 by Link rel="next" returns every row once, sorted by id', async () => {
  const pages = await allPages(`/api/v1/albums?${qs({ limit: '100', artist })}`);
  assert.equal(pages.length, Math.ceil(COUNT / 100));
  for (const page of pages.slice(0, -1)) assert.equal(page.length, 100);
  assert.equal(pages.at(-1)?.length, COUNT % 100);
  // Exact values, sorted by id, each row once (ids are consecutive and inserted in order).
  assert.deepEqual(pages.flat(), albums);
});

test('artist matches the whole name in any case; q matches title or artist in any case', async () => {
  const byArtist = await allPages(
    `/api/v1/albums?${qs({ limit: '500', artist: artist.toUpperCase() })}`,
  );
  assert.equal(byArtist.length, 3);
  assert.deepEqual(byArtist.flat(), albums);

  const partialArtist = await app.inject({
    method: 'GET',
    url: `/api/v1/albums?${qs({ artist: artist.slice(0, -1) })}`,
  });
  assert.equal(partialArtist.statusCode, 200);
  assert.deepEqual(partialArtist.json(), [], 'artist is not a substring match');

  const inTitle = await allPages(`/api/v1/albums?${qs({ limit: '50', q: token.toLowerCase() })}`);
  const withToken = albums.filter((_, i) => hasToken(i));
  assert.equal(withToken.length, 124);
  assert.deepEqual(inTitle.flat(), withToken);

  // The unique part of the artist name, in upper case, matches every row through the artist.
  const inArtist = await allPages(
    `/api/v1/albums?${qs({ limit: '500', q: artist.slice(-6).toUpperCase() })}`,
  );
  assert.deepEqual(inArtist.flat(), albums);

  const both = await allPages(
    `/api/v1/albums?${qs({ limit: '500', artist, q: token.toUpperCase() })}`,
  );
  assert.deepEqual(both.flat(), withToken);

  // LIKE wildcards and SQL in q are text, not patterns or statements.
  for (const q of ['%', '_', 'Take_1', "' OR 1=1 --", "'; DROP TABLE music.albums; --"]) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/albums?${qs({ artist, q })}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [], `q=${q}`);
  }
});

test('GET /api/v1/albums/{id}: 200 with the album, 404 problem when missing, 400 when not an id', async () => {
  const album = albums[617] as Album;
  const found = await app.inject({ method: 'GET', url: `/api/v1/albums/${album.id}` });
  assert.equal(found.statusCode, 200, found.body);
  assert.deepEqual(found.json(), album);

  const seed = await app.inject({ method: 'GET', url: '/api/v1/albums/1' });
  assert.equal(seed.statusCode, 200);
  assert.deepEqual(seed.json(), {
    id: 1,
    title: 'Blue Train',
    artist: 'John Coltrane',
    price: 56.99,
  });

  const missing = await app.inject({ method: 'GET', url: `/api/v1/albums/${missingId}` });
  assert.equal(missing.statusCode, 404, missing.body);
  assert.match(missing.headers['content-type'] as string, /^application\/problem\+json(;|$)/);
  const problem = missing.json<{ type: string; status: number; detail: string }>();
  assert.equal(problem.status, 404);
  assert.equal(problem.type, '/problems/not-found');
  assert.match(problem.detail, new RegExp(String(missingId)));

  // Any int32 names an album (negative ones too); 0 names none.
  for (const absent of ['0', '-2147483648']) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/albums/${absent}` });
    assert.equal(res.statusCode, 404, `id ${absent}: ${res.body}`);
  }
  for (const bad of ['abc', '1.5', '-2147483649', '2147483648']) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/albums/${bad}` });
    assert.equal(res.statusCode, 400, `id ${bad}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json(;|$)/);
    assert.deepEqual(
      res.json<{ errors?: { pointer: string }[] }>().errors?.map((e) => e.pointer),
      ['/id'],
    );
  }
});

test('bad limit or cursor answers 400 problem+json', async () => {
  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const cases: Record<string, string> = {
    'limit=0': qs({ limit: '0' }),
    'limit=501': qs({ limit: '501' }),
    'limit=-1': qs({ limit: '-1' }),
    'limit=ten': qs({ limit: 'ten' }),
    'limit=2.5': qs({ limit: '2.5' }),
    'cursor not base64 JSON': qs({ cursor: 'not-a-cursor' }),
    'cursor below the smallest id': qs({ cursor: cursorOf({ after: -(2 ** 31) - 1 }) }),
    'cursor at id 0': qs({ cursor: cursorOf({ after: 0 }) }),
    'cursor with a text position': qs({ cursor: cursorOf({ after: '5' }) }),
    'cursor without a position': qs({ cursor: cursorOf({}) }),
    'cursor past the largest id': qs({ cursor: cursorOf({ after: 2 ** 31 }) }),
    'cursor in a form the API never gave out': qs({ cursor: cursorOf({ after: 5, x: 1 }) }),
    'cursor over 2048 characters': qs({ cursor: 'A'.repeat(2049) }),
    'empty q': qs({ q: '' }),
    'q over 200 characters': qs({ q: 'q'.repeat(201) }),
    'q with a NUL character': qs({ q: 'a\u0000b' }),
    'artist with a NUL character': qs({ artist: '\u0000' }),
    'an unknown parameter': qs({ order: 'price' }),
    'an unknown sort field': qs({ sort: 'year' }),
    'a sort field twice': qs({ sort: 'price,-price' }),
    'an empty sort': qs({ sort: '' }),
  };
  for (const [name, query] of Object.entries(cases)) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/albums?${query}` });
    assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json(;|$)/, name);
    assert.equal(res.json<{ status: number }>().status, 400, name);
  }

  // limit 500 and 1 are the bounds that are allowed; a cursor the API gave out is accepted,
  // in today's form (the gRPC API's page token) and in the JSON form it gave out before.
  const edge = await app.inject({
    method: 'GET',
    url: `/api/v1/albums?${qs({ limit: '500', artist })}`,
  });
  assert.equal(edge.statusCode, 200);
  assert.equal(edge.json<Album[]>().length, 500);
  const a1 = (id: number | undefined) => Buffer.from(`a1:${id}`).toString('base64url');
  for (const cursor of [a1(albums[0]?.id), cursorOf({ after: albums[0]?.id })]) {
    const one = await app.inject({
      method: 'GET',
      url: `/api/v1/albums?${qs({ limit: '1', artist, cursor })}`,
    });
    assert.equal(one.statusCode, 200, cursor);
    assert.deepEqual(one.json(), [albums[1]], cursor);
    const next = nextLink(one.headers.link as string);
    assert.ok(next?.startsWith(`/api/v1/albums?${qs({ limit: '1', artist })}&cursor=`), next);
    const following = await app.inject({ method: 'GET', url: next ?? '' });
    assert.deepEqual(following.json(), [albums[2]], 'the next link goes on from there');
  }
  // They name positions in the order by id only: with another sort they are refused.
  const withSort = await app.inject({
    method: 'GET',
    url: `/api/v1/albums?${qs({ sort: 'title', cursor: a1(albums[0]?.id) })}`,
  });
  assert.equal(withSort.statusCode, 400, withSort.body);
});

test('/openapi.json is OpenAPI 3.1 and lists every route', async () => {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
  assert.ok(doc.openapi.startsWith('3.1'), `openapi ${doc.openapi}`);
  const routes = Object.fromEntries(
    Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item).sort()]),
  );
  assert.deepEqual(routes, {
    '/api/v1/album': ['post', 'put'],
    '/api/v1/albums': ['get', 'post', 'put'],
    '/api/v1/albums/{id}': ['delete', 'get'],
    '/api/v1/albums:delete': ['post'],
    '/api/v1/events': ['get'],
    '/docs': ['get'],
    '/docs/json': ['get'],
    '/docs/yaml': ['get'],
    '/healthz': ['get'],
    '/openapi.json': ['get'],
    '/readyz': ['get'],
  });
  // Every documented route exists: none answers the not-found problem.
  for (const [path, methods] of Object.entries(routes)) {
    // The event stream never ends, so inject cannot wait for it; album-events.test.ts reads it.
    if (path === '/api/v1/events') continue;
    for (const method of methods) {
      const res = await app.inject({
        method: method.toUpperCase() as 'GET',
        url: path.replace('{id}', String(albums[0]?.id)),
      });
      assert.notEqual(res.statusCode, 404, `${method} ${path}`);
    }
  }
});

test('/healthz answers 200; an unknown route answers a 404 problem', async () => {
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: 'ok' });

  const unknown = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.headers['content-type'] as string, /^application\/problem\+json(;|$)/);
});

test('a kept list answer is never older than a commit made before the request', async () => {
  const fresh = `Kept ${uniqueName('kept')}`;
  const [id] = idBlock(1) as [number];
  const url = `/api/v1/albums?artist=${encodeURIComponent(fresh)}`;
  const list = async () => {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200);
    return { titles: (res.json() as Album[]).map((a) => a.title), res };
  };
  try {
    for (let i = 0; i < 10; i++) {
      assert.deepEqual((await list()).titles, []);
      const before = await list();
      await sql`insert into music.albums (id, title, artist, price) values (${id}, ${`t${i}`}, ${fresh}, 1)`;
      const after = await list();
      assert.deepEqual(after.titles, [`t${i}`], `store ${i} seen by the next request`);
      assert.equal(after.res.headers['x-total-count'], '1');
      assert.notEqual(after.res.headers.etag, before.res.headers.etag);
      await sql`delete from music.albums where id = ${id}`;
    }
  } finally {
    await sql`delete from music.albums where id = ${id}`;
  }
});
