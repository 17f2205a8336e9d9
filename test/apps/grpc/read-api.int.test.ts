// GetAlbum and ListAlbums through a real gRPC client (Connect over HTTP/2, gRPC protocol).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Client, Code, ConnectError } from '@connectrpc/connect';
import { type Album, MusicService } from '../../../src/gen/service/music_pb.js';
import { idBlock, testSql, uniqueName } from '../../support/stack.ts';
import { startServer, type TestServer } from './harness.ts';

const sql = testSql();
const PAGED = 1234;
const paged = idBlock(PAGED);
const [one] = idBlock(1) as [number];
// Unique, and mixed case so that the filter's case-insensitivity is exercised.
const artist = `Paged ${uniqueName('artist')}`;
let server: TestServer;
let music: Client<typeof MusicService>;

before(async () => {
  await sql`
    insert into music.albums (id, title, artist, price)
    select g, 'Paged ' || g, ${artist}, (g % 100000) / 100.0
    from generate_series(${paged[0] ?? 0}::int4, ${paged.at(-1) ?? 0}::int4) as g`;
  await sql`
    insert into music.albums (id, title, artist, price)
    values (${one}, 'Exact 💿', ${uniqueName('one')}, 99999999.99)`;
  server = await startServer(sql);
  music = server.client(MusicService);
});

after(async () => {
  await server?.close();
  await sql`delete from music.albums where id = any(${[...paged, one]}::int4[])`;
  await sql.end({ timeout: 5 });
});

/** The error a call failed with, asserting that it failed. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err: unknown) {
    return ConnectError.from(err);
  }
  assert.fail('the call succeeded');
}

test('GetAlbum returns the album with its exact price in cents', async () => {
  const album = await music.getAlbum({ id: one });
  assert.equal(album.id, one);
  assert.equal(album.title, 'Exact 💿');
  assert.equal(album.price, Math.fround(99999999.99), 'the float is the nearest float32');
  assert.equal(album.priceCents, 9999999999n, 'the cents are exact');
});

test('GetAlbum of a missing id is NOT_FOUND (negative ids too), of id 0 INVALID_ARGUMENT', async () => {
  for (const id of [2147483647, -1, -2147483648]) {
    const missing = await failure(music.getAlbum({ id }));
    assert.equal(missing.code, Code.NotFound, `id ${id}: ${missing.message}`);
  }
  const bad = await failure(music.getAlbum({ id: 0 }));
  assert.equal(bad.code, Code.InvalidArgument, bad.message);
});

/** Every page of a listing, following next_page_token to the end. */
async function allPages(pageSize: number, artistFilter: string): Promise<Album[][]> {
  const pages: Album[][] = [];
  let pageToken = '';
  do {
    const page = await music.listAlbums({ pageSize, pageToken, artist: artistFilter });
    pages.push(page.albums);
    pageToken = page.nextPageToken;
    assert.ok(pages.length <= PAGED + 1, 'the listing ends');
  } while (pageToken !== '');
  return pages;
}

test('ListAlbums pages through 1,234 albums of one artist: each exactly once, in id order', async () => {
  for (const [pageSize, expectedSize] of [
    [0, 50],
    [100, 100],
    [500, 500],
    [7, 7],
  ] as const) {
    const filter = pageSize === 100 ? artist.toUpperCase() : artist;
    const pages = await allPages(pageSize, filter);
    const albums = pages.flat();
    assert.deepEqual(
      albums.map((a) => a.id),
      paged,
      `page size ${pageSize}: every id once, ascending`,
    );
    assert.equal(pages.length, Math.ceil(PAGED / expectedSize), `page size ${pageSize}: pages`);
    assert.ok(
      pages.slice(0, -1).every((p) => p.length === expectedSize),
      `page size ${pageSize}: full pages but the last`,
    );
    assert.ok(albums.every((a) => a.artist === artist && a.title === `Paged ${a.id}`));
    assert.ok(
      albums.every((a) => a.priceCents === BigInt(a.id % 100000)),
      'price_cents is filled in every album',
    );
  }
});

test('ListAlbums without a filter lists every album, the seed rows first', async () => {
  const [row] = await sql<{ count: number }[]>`select count(*)::int4 as count from music.albums`;
  const albums = (await allPages(500, '')).flat();
  assert.equal(albums.length, row?.count);
  assert.deepEqual(
    albums.slice(0, 4).map((a) => [a.id, a.title, a.priceCents]),
    [
      [1, 'Blue Train', 5699n],
      [2, 'Giant Steps', 6399n],
      [3, 'Jeru', 1799n],
      [4, 'Sarah Vaughan', 3498n],
    ],
  );
  assert.ok(albums.every((a, i) => i === 0 || a.id > (albums[i - 1]?.id ?? 0)));
});

test('ListAlbums of an artist nobody has is one empty page', async () => {
  const page = await music.listAlbums({ artist: uniqueName('nobody') });
  assert.deepEqual(page.albums, []);
  assert.equal(page.nextPageToken, '');
});

test('ListAlbums refuses page sizes above 500 or below 0, and tokens it did not issue', async () => {
  for (const pageSize of [501, 100000, -1]) {
    const err = await failure(music.listAlbums({ pageSize }));
    assert.equal(err.code, Code.InvalidArgument, `page_size ${pageSize}: ${err.message}`);
  }
  const { nextPageToken } = await music.listAlbums({ pageSize: 1 });
  assert.notEqual(nextPageToken, '');
  for (const pageToken of [
    'garbage',
    '!!!',
    `${nextPageToken}x`,
    Buffer.from('a1:0').toString('base64url'),
    Buffer.from('a1:2147483648').toString('base64url'),
    Buffer.from('a1:-2147483649').toString('base64url'),
    Buffer.from('{"after":3}').toString('base64url'),
  ]) {
    const err = await failure(music.listAlbums({ pageToken }));
    assert.equal(err.code, Code.InvalidArgument, `token ${pageToken}: ${err.message}`);
  }
});

test('GetAlbumList, read with the new contract, carries price_cents', async () => {
  const { albums } = await music.getAlbumList({});
  const mine = albums.find((a) => a.id === one);
  assert.equal(mine?.priceCents, 9999999999n);
  assert.ok(albums.every((a) => a.priceCents !== undefined));
  assert.equal(albums.filter((a) => a.artist === artist).length, PAGED);
});
