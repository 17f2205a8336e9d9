// Sorting, keyset paging both ways and totals of GET /api/v1/albums against the real database:
// 1,234 rows of our own with many ties in every field, found by a token in their artist.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Album } from '../../../src/domain/album.ts';
import { EXACT_TOTAL_UP_TO } from '../../../src/domain/listing.ts';
import { buildReadRestApp, insertAlbums } from '../../support/rest-app.ts';
import { idBlock, testSql, waitFor } from '../../support/stack.ts';

const COUNT = 1234;
const sql = testSql();
const ids = idBlock(COUNT);
const token = `Sorty${randomBytes(4).toString('hex')}`;
// Equal prefixes and fixed-width numbers: every collation orders these texts alike.
const pad = (n: number) => String(n).padStart(3, '0');
const albums: Album[] = ids.map((id, i) => ({
  id,
  title: `Title ${pad((i * 37) % 101)}`,
  artist: `${token} ${pad(i % 7)}`,
  price: ((i * 13) % 50) + 0.99,
}));
// Above the exact range: a second artist of its own, for the estimated totals.
const manyIds = idBlock(EXACT_TOTAL_UP_TO + 1);
const manyArtist = `Many${randomBytes(4).toString('hex')}`;
const [extraId = 0] = idBlock(1);

let app: Awaited<ReturnType<typeof buildReadRestApp>>;

const insert = (rows: Album[]) => insertAlbums(sql, rows);

before(async () => {
  await insert(albums);
  app = await buildReadRestApp(sql);
});

after(async () => {
  await app?.close();
  await sql`delete from music.albums where id = any(${[...ids, ...manyIds, extraId]}::int4[])`;
  await sql.end({ timeout: 5 });
});

/** The relations of a Link header and their targets. */
function linksOf(header: unknown): Map<string, string> {
  const links = new Map<string, string>();
  for (const part of String(header ?? '').split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>;\s*rel="([^"]+)"$/.exec(part);
    if (match?.[1] && match[2]) links.set(match[2], match[1]);
  }
  return links;
}

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return { albums: res.json<Album[]>(), links: linksOf(res.headers.link), res };
}

type Field = 'id' | 'title' | 'artist' | 'price';

/** The order the API documents: the keys, then id in the last key's direction. */
function expected(keys: [Field, boolean][]): number[] {
  const idAt = keys.findIndex(([f]) => f === 'id');
  const last = keys.at(-1)?.[1] ?? false;
  const order = idAt >= 0 ? keys.slice(0, idAt + 1) : [...keys, ['id', last] as [Field, boolean]];
  return [...albums]
    .sort((a, b) => {
      for (const [field, descending] of order) {
        const x = a[field];
        const y = b[field];
        if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return 0;
    })
    .map((a) => a.id);
}

const SORTS: [string, [Field, boolean][]][] = [
  ...(['id', 'title', 'artist', 'price'] as const).flatMap((f): [string, [Field, boolean][]][] => [
    [f, [[f, false]]],
    [`-${f}`, [[f, true]]],
  ]),
  [
    '-price,title',
    [
      ['price', true],
      ['title', false],
    ],
  ],
  [
    'artist,-price',
    [
      ['artist', false],
      ['price', true],
    ],
  ],
  [
    'title,-id,price',
    [
      ['title', false],
      ['id', true],
    ],
  ],
];

for (const [sort, keys] of SORTS) {
  test(`sort=${sort}: by next to the end and back by prev, every album once, in order`, async () => {
    const want = expected(keys);
    const forward: number[][] = [];
    let url: string | undefined =
      `/api/v1/albums?${new URLSearchParams({ q: token, sort, limit: '100' })}`;
    let last: Awaited<ReturnType<typeof get>> | undefined;
    while (url !== undefined) {
      last = await get(url);
      forward.push(last.albums.map((a) => a.id));
      assert.equal(last.res.headers['x-total-count'], String(COUNT));
      assert.ok(last.links.has('first'));
      assert.equal(last.links.has('prev'), forward.length > 1, `prev on page ${forward.length}`);
      url = last.links.get('next');
      assert.ok(forward.length <= 13, 'paging ends');
    }
    assert.deepEqual(forward.flat(), want);
    assert.deepEqual(
      forward.map((p) => p.length),
      [...Array(12).fill(100), 34],
    );

    // Back from the last page: the same pages, in reverse, up to the first (which has no prev).
    const backward: number[][] = [];
    url = last?.links.get('prev');
    while (url !== undefined) {
      const page = await get(url);
      backward.unshift(page.albums.map((a) => a.id));
      assert.ok(page.links.has('next'), 'a page reached by prev links the next one');
      url = page.links.get('prev');
      assert.ok(backward.length <= 13, 'paging back ends');
    }
    assert.deepEqual(backward, forward.slice(0, -1));

    const first = await get(last?.links.get('first') ?? '');
    assert.deepEqual(
      first.albums.map((a) => a.id),
      forward[0],
    );
  });
}

test('a cursor is refused with another sort, tampered, or from another version', async () => {
  const page = await get(`/api/v1/albums?${new URLSearchParams({ q: token, sort: 'title' })}`);
  const next = new URL(page.links.get('next') ?? '', 'http://x');
  const cursor = next.searchParams.get('cursor') ?? '';
  const cases: Record<string, Record<string, string>> = {
    'another sort': { q: token, sort: 'price', cursor },
    'no sort': { q: token, cursor },
    tampered: { q: token, sort: 'title', cursor: `${cursor.slice(0, -2)}x` },
    'a forged position': {
      q: token,
      sort: 'title',
      cursor: Buffer.from(JSON.stringify(['s1', 'title', 'a', 5, 7])).toString('base64url'),
    },
  };
  for (const [name, params] of Object.entries(cases)) {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/albums?${new URLSearchParams(params)}`,
    });
    assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.deepEqual(
      res.json<{ errors: { pointer: string }[] }>().errors.map((e) => e.pointer),
      ['/cursor'],
    );
  }
  const other = await app.inject({
    method: 'GET',
    url: `/api/v1/albums?${new URLSearchParams({ q: token, sort: 'price', cursor })}`,
  });
  assert.match(other.json<{ detail: string }>().detail, /sort=title/);
});

test('totals: exact up to 10,000 whatever the filter, an estimate marked as such above', async () => {
  const byArtist = await get(`/api/v1/albums?${new URLSearchParams({ artist: `${token} 003` })}`);
  assert.equal(
    byArtist.res.headers['x-total-count'],
    String(albums.filter((a) => a.artist.endsWith(' 003')).length),
  );
  assert.equal(byArtist.res.headers['x-total-count-estimated'], undefined);
  const none = await get(`/api/v1/albums?${new URLSearchParams({ q: `${token}-nothing` })}`);
  assert.equal(none.res.headers['x-total-count'], '0');
  assert.deepEqual([...none.links.keys()], ['first']);

  const inserted = () =>
    sql<{ n: number }[]>`
      select n_tup_ins::int as n from pg_stat_user_tables
      where schemaname = 'music' and relname = 'albums'`.then(([row]) => row?.n ?? 0);
  const insertedBefore = await inserted();
  await insert(manyIds.map((id) => ({ id, title: 'Many', artist: manyArtist, price: 1 })));
  const [{ n } = { n: 0 }] = await sql<
    { n: number }[]
  >`select count(*)::int as n from music.albums`;
  // The inserting sessions report their rows to the statistics a moment later (when idle): an
  // ANALYZE before that report would be undone by it, counting the new rows twice. Counted by
  // insertions, not live rows: other test files delete rows of this table meanwhile.
  await waitFor(
    'the statistics to count the inserted rows',
    async () => ((await inserted()) >= insertedBefore + manyIds.length ? true : undefined),
    60_000,
  );
  await sql`analyze music.albums`;
  const many = await get(`/api/v1/albums?${new URLSearchParams({ artist: manyArtist })}`);
  assert.equal(many.res.headers['x-total-count-estimated'], 'true');
  const estimate = Number(many.res.headers['x-total-count']);
  assert.ok(
    estimate > EXACT_TOTAL_UP_TO && Math.abs(estimate - manyIds.length) < manyIds.length / 2,
    `${estimate}`,
  );
  const all = await get('/api/v1/albums');
  assert.equal(all.res.headers['x-total-count-estimated'], 'true');
  const total = Number(all.res.headers['x-total-count']);
  assert.ok(total > EXACT_TOTAL_UP_TO && Math.abs(total - n) < n / 2, `${total} for ${n}`);
});

test('ETag on list and album answers; If-None-Match answers 304 until the answer changes', async () => {
  const url = `/api/v1/albums?${new URLSearchParams({ q: token, sort: '-price', limit: '20' })}`;
  const first = await get(url);
  const tag = first.res.headers.etag as string;
  assert.match(tag, /^W\/"[\w-]+"$/);
  const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': tag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  assert.equal(again.headers.etag, tag);
  for (const header of [`"x", ${tag}`, tag.slice(2), '*']) {
    const res = await app.inject({ method: 'GET', url, headers: { 'if-none-match': header } });
    assert.equal(res.statusCode, 304, header);
  }
  const other = await app.inject({ method: 'GET', url, headers: { 'if-none-match': 'W/"x"' } });
  assert.equal(other.statusCode, 200);

  const album = albums[5] as Album;
  const one = await app.inject({ method: 'GET', url: `/api/v1/albums/${album.id}` });
  const albumTag = one.headers.etag as string;
  assert.match(albumTag, /^W\/"[\w-]+"$/);
  const same = await app.inject({
    method: 'GET',
    url: `/api/v1/albums/${album.id}`,
    headers: { 'if-none-match': albumTag },
  });
  assert.equal(same.statusCode, 304);

  // A change of the album, or of the list's total, is a new tag.
  await sql`update music.albums set price = price + 1 where id = ${album.id}`;
  const changed = await app.inject({
    method: 'GET',
    url: `/api/v1/albums/${album.id}`,
    headers: { 'if-none-match': albumTag },
  });
  assert.equal(changed.statusCode, 200);
  assert.notEqual(changed.headers.etag, albumTag);
  await sql`update music.albums set price = price - 1 where id = ${album.id}`;
  await insert([{ id: extraId, title: 'Extra', artist: `${token} 999`, price: 0 }]);
  const grown = await app.inject({ method: 'GET', url, headers: { 'if-none-match': tag } });
  await sql`delete from music.albums where id = ${extraId}`;
  assert.equal(grown.statusCode, 200, 'the total changed, the page did not');
  assert.notEqual(grown.headers.etag, tag);
  // Not a 200 answer, no tag.
  const missing = await app.inject({ method: 'GET', url: '/api/v1/albums/0' });
  assert.equal(missing.headers.etag, undefined);
});
