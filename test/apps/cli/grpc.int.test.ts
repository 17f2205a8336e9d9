// `music grpc list|get` against a gRPC server started in the test, on the run's database.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { idBlock, testSql, uniqueName } from '../../support/stack.ts';
import { startServer, type TestServer } from '../grpc/harness.ts';
import { assertFailure, music, musicJson } from './support.ts';

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

const sql = testSql(2);
const ids = idBlock(3);
const artist = uniqueName('grpc-artist');
// The top price has more digits than a float32 holds: it must come back exact (from the cents).
const albums: Album[] = ids.map((id, i) => ({
  id,
  title: `gRPC ${i + 1}`,
  artist,
  price: [12.34, 0, 99999999.99][i] ?? 0,
}));
let server: TestServer;
let env: Record<string, string>;

before(async () => {
  for (const a of albums) {
    await sql`insert into music.albums (id, title, artist, price)
              values (${a.id}, ${a.title}, ${a.artist}, ${a.price})`;
  }
  server = await startServer(sql);
  env = { GRPC_HOST: '127.0.0.1', GRPC_PORT: new URL(server.baseUrl).port };
});

after(async () => {
  await server?.close();
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql.end({ timeout: 5 });
});

test('grpc list --json: every album from GetAlbumList, sorted by id, prices exact', async () => {
  const listed = await musicJson<Album[]>(['grpc', 'list'], env);
  assert.deepEqual(
    listed.filter((a) => a.artist === artist),
    albums,
  );
  const [count] = await sql<{ n: number }[]>`select count(*)::int4 as n from music.albums`;
  assert.equal(listed.length, count?.n, 'the whole table');
  assert.deepEqual(
    listed.map((a) => a.id),
    listed.map((a) => a.id).toSorted((a, b) => a - b),
  );
});

test('grpc list: a table with a row per album and the count', async () => {
  const run = await music(['grpc', 'list'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^\s*ID\s+TITLE\s+ARTIST\s+PRICE$/);
  assert.match(lines.at(-1) ?? '', new RegExp(`^${lines.length - 2} albums$`));
  const row = lines.find((l) => l.trimStart().startsWith(`${ids[2]} `));
  assert.match(row ?? '', new RegExp(`^\\s*${ids[2]}\\s+gRPC 3\\s+${artist}\\s+99999999\\.99$`));
});

test('grpc get: one album by id; a missing one is one line and exit 3', async () => {
  assert.deepEqual(await musicJson<Album>(['grpc', 'get', String(ids[0])], env), albums[0]);
  const run = await music(['grpc', 'get', '2147483647'], env);
  assertFailure(run, 3, /^music: the gRPC API answered NotFound: album 2147483647 does not exist$/);
});

test('grpc: no gRPC API listening is one line naming it, exit 4', async () => {
  const run = await music(['grpc', 'list'], { GRPC_HOST: '127.0.0.1', GRPC_PORT: '1' });
  assertFailure(
    run,
    4,
    /^music: cannot reach the gRPC API at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
  );
});
