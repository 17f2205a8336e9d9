// `music rest post|put` against a REST API started in the test: what reaches the topic, what is
// printed, and the failures scripts see.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { idBlock } from '../../support/stack.ts';
import { recordCount } from '../consumer/support.ts';
import {
  asPrinted,
  assertFailure,
  music,
  musicJson,
  type SendSummary,
  startRestApi,
  topicAlbums,
} from './support.ts';

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

test('rest post --single: one album through /api/v1/album with a new id, printed as JSON', async (t) => {
  const api = await startRestApi(t, 'cli-rest-post');
  const album = await musicJson<Album>(
    [
      'rest',
      'post',
      '--single',
      '--title',
      'Blue Train',
      '--artist',
      'John Coltrane',
      '--price',
      '56.99',
    ],
    api.env,
  );
  assert.ok(Number.isInteger(album.id) && album.id >= 101, `allocated id ${album.id}`);
  assert.deepEqual(album, {
    id: album.id,
    title: 'Blue Train',
    artist: 'John Coltrane',
    price: 56.99,
  });
  assert.deepEqual(api.batches, [1]);
  const [record] = await topicAlbums(api.topic, 1);
  assert.equal(record?.key, String(album.id));
  assert.deepEqual(asPrinted(record?.album ?? assert.fail()), album);
});

test('rest put --single --id: the album under that id, printed as a table', async (t) => {
  const api = await startRestApi(t, 'cli-rest-put');
  const [id] = idBlock(1) as [number];
  const run = await music(['rest', 'put', '--id', String(id), '--title', 'Giant Steps'], api.env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^accepted/);
  assert.match(lines[1] ?? '', /^\s*ID\s+TITLE\s+ARTIST\s+PRICE$/);
  assert.match(lines[2] ?? '', new RegExp(`^${id}\\s+Giant Steps\\s+Sample Artist\\s+9\\.99$`));
  assert.equal(lines[3], '1 album');
  const [record] = await topicAlbums(api.topic, 1);
  assert.deepEqual(record, {
    key: String(id),
    album: { id, title: 'Giant Steps', artist: 'Sample Artist', priceCents: 999n },
  });
});

test('rest post --count: generated albums through /api/v1/albums in batches of at most 1000', async (t) => {
  const api = await startRestApi(t, 'cli-rest-count');
  const summary = await musicJson<SendSummary>(
    ['rest', 'post', '--count', '2500', '--artist', 'Batch Band'],
    api.env,
  );
  assert.equal(summary.albums, 2500);
  assert.ok(summary.perSecond > 0 && summary.seconds > 0);
  assert.deepEqual(
    api.batches.toSorted((a, b) => a - b),
    [500, 1000, 1000],
  );
  const records = await topicAlbums(api.topic, 2500);
  const ids = records.map((r) => r.album.id);
  assert.equal(new Set(ids).size, 2500, 'every album got its own id');
  assert.equal(Math.min(...ids), summary.firstId);
  assert.equal(Math.max(...ids), summary.lastId);
  assert.ok(records.every((r) => r.key === String(r.album.id) && r.album.artist === 'Batch Band'));
  const titles = new Set(records.map((r) => r.album.title));
  assert.ok(titles.has('Sample Album 1') && titles.has('Sample Album 2500'));
});

test('rest put --count --first-id: consecutive ids, and a human summary', async (t) => {
  const api = await startRestApi(t, 'cli-rest-put-count');
  const [first] = idBlock(3) as [number];
  const run = await music(
    ['rest', 'put', '--count', '3', '--first-id', String(first), '--title', 'Take', '--price', '5'],
    api.env,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    new RegExp(
      `^accepted 3 albums in \\d+\\.\\d\\d s \\(\\d+ albums/s\\), ids ${first}–${first + 2}\\n$`,
    ),
  );
  const records = await topicAlbums(api.topic, 3);
  assert.deepEqual(
    records.map((r) => asPrinted(r.album)).toSorted((a, b) => a.id - b.id),
    [1, 2, 3].map((n) => ({
      id: first + n - 1,
      title: `Take ${n}`,
      artist: 'Sample Artist',
      price: 5,
    })),
  );
});

test('rest: an album the API refuses is one line naming the field, exit 2, nothing sent', async (t) => {
  const api = await startRestApi(t, 'cli-rest-invalid');
  const run = await music(['rest', 'post', '--title', '   '], api.env);
  assertFailure(run, 2, /^music: the REST API answered 400: .*\/title/);
  assert.equal(await recordCount(api.topic), 0);
});

test('rest: no REST API listening is one line naming it, exit 4', async () => {
  // A port that was just free: nothing listens there.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  const run = await music(['rest', 'post', '--count', '5'], {
    REST_HOST: '127.0.0.1',
    REST_PORT: String(port),
  });
  assertFailure(
    run,
    4,
    new RegExp(
      `^music: cannot reach the REST API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`,
    ),
  );
});
