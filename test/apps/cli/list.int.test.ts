// The list commands against the run's database (and a REST API and gRPC server started here):
// filters, sorting, output formats, table width, and a reader that goes away.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { config, idBlock, testSql, uniqueName } from '../../support/stack.ts';
import { startServer, type TestServer } from '../grpc/harness.ts';
import { parseCsv } from './csv-reader.ts';
import { assertFailure, music, musicJson, root, startRestApi } from './support.ts';

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

const sql = testSql(2);
// More than a page of the REST API (500) and, as a table, far more than a pipe's buffer (64 KiB).
const COUNT = 1200;
const ids = idBlock(COUNT);
const artist = uniqueName('cli-list');
const first = ids[0] ?? 0;
const albums: Album[] = ids.map((id, i) => ({
  id,
  title:
    i === 0
      ? `A title far too long for any terminal, ${'and on '.repeat(20)}and on`
      : `T${i % 7} "q", ${i}`,
  artist,
  price: (i % 13) + 0.5,
}));
let grpc: TestServer;

before(async () => {
  await sql`insert into music.albums ${sql(albums)}`;
  grpc = await startServer(sql);
});

after(async () => {
  await grpc?.close();
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql.end({ timeout: 5 });
});

const bin = join(root, 'bin', 'music.mjs');
const node = join(root, 'node_modules', '.bin', 'node');

/** `music args… | head -1` in a real shell; the status is music's (pipefail). */
async function pipedToHead(args: string) {
  const script = `set -o pipefail; "${node}" "${bin}" ${args} | head -1`;
  return promisify(execFile)('bash', ['-c', script], {
    cwd: root,
    env: { ...process.env, COLUMNS: '' },
  })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((err: { code: number; stdout: string; stderr: string }) => err);
}

test('db list | head -1: exits 0 with nothing on stderr, as a table and with --json', async () => {
  const table = await pipedToHead(`db list --artist '${artist}'`);
  assert.equal(table.code, 0);
  assert.equal(table.stderr, '');
  assert.match(table.stdout, /^\s*ID\s+TITLE\s+ARTIST\s+PRICE\n$/);
  const json = await pipedToHead(`--json db list --artist '${artist}'`);
  assert.equal(json.code, 0);
  assert.equal(json.stderr, '');
  assert.ok(json.stdout.startsWith(`[{"id":${first},`));
});

test('db list as a table fits 80 columns off a terminal; a long title ends with …', async () => {
  const run = await music(['db', 'list', '--artist', artist, '--limit', '3'], { COLUMNS: '' });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 5);
  for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(
    lines[1] ?? '',
    new RegExp(`^${first}  A title far too long[^…]*…  ${artist.slice(0, 5)}`),
  );
});

test('db list --sort, --query, --limit: PostgreSQL sorts the whole table', async () => {
  const sorted = await musicJson<Album[]>([
    'db',
    'list',
    '--artist',
    artist,
    '--sort',
    '-price,title',
    '--limit',
    '5',
  ]);
  // Titles are compared in the database's collation: only the prices are checked here.
  assert.deepEqual(
    sorted.map((a) => a.price),
    [12.5, 12.5, 12.5, 12.5, 12.5],
  );
  const found = await musicJson<Album[]>([
    'db',
    'list',
    '--artist',
    artist.toUpperCase(),
    '--query',
    't3 "Q"',
  ]);
  assert.deepEqual(
    found.map((a) => a.id),
    albums.filter((a) => a.title.startsWith('T3 ')).map((a) => a.id),
  );
});

test('db list --output csv: RFC 4180 that a CSV reader gives back', async () => {
  const run = await music(['--output', 'csv', 'db', 'list', '--artist', artist, '--limit', '3']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(parseCsv(run.stdout), [
    ['id', 'title', 'artist', 'price'],
    ...albums.slice(0, 3).map((a) => [String(a.id), a.title, a.artist, String(a.price)]),
  ]);
});

test('rest list follows the pages; rest get one album, 404 is exit 3', async (t) => {
  const api = await startRestApi(t, 'cli-rest-list');
  const all = await musicJson<Album[]>(['rest', 'list', '--artist', artist], api.env);
  assert.deepEqual(
    all.map((a) => a.id),
    ids,
    'every album, over three pages, in id order',
  );
  const some = await musicJson<Album[]>(
    ['rest', 'list', '--artist', artist, '--query', 'far too', '--limit', '2'],
    api.env,
  );
  assert.deepEqual(
    some.map((a) => a.id),
    [first],
  );
  // --sort is the API's (sort=), over every page: the same order as PostgreSQL's in db list.
  const sorted = ['--artist', artist, '--sort', '-price,title'];
  assert.deepEqual(
    await musicJson<Album[]>(['rest', 'list', ...sorted], api.env),
    await musicJson<Album[]>(['db', 'list', ...sorted]),
  );
  assert.deepEqual(await musicJson<Album>(['rest', 'get', String(first)], api.env), albums[0]);
  assertFailure(
    await music(['rest', 'get', '-7'], api.env),
    3,
    /^music: the REST API answered 404: /,
  );
});

test('grpc list --limit, --artist and --query through StreamAlbums', async () => {
  const env = { GRPC_HOST: '127.0.0.1', GRPC_PORT: new URL(grpc.baseUrl).port };
  const two = await musicJson<Album[]>(['grpc', 'list', '--artist', artist, '--limit', '2'], env);
  assert.deepEqual(two, albums.slice(0, 2));
  const found = await musicJson<Album[]>(
    ['grpc', 'list', '--artist', artist, '--query', 'T3 "Q"', '--limit', '3'],
    env,
  );
  assert.deepEqual(found, albums.filter((a) => a.title.startsWith('T3 ')).slice(0, 3));
});

test('--database-url overrides DATABASE_URL and its read variant', async () => {
  const bad = 'postgres://nobody:x@127.0.0.1:9/none';
  const run = await musicJson<Album>(
    ['db', 'get', String(first), '--database-url', config.DATABASE_URL],
    {
      DATABASE_URL: bad,
      DATABASE_READ_URL: bad,
    },
  );
  assert.deepEqual(run, albums[0]);
});
