// StreamAlbums over 100,000 rows: every row once, in chunks, with the server's memory bounded
// by a chunk rather than the result, and the query ended as soon as the client goes away.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { createSql, type Sql } from '../../../src/adapters/db/client.ts';
import { STREAM_CHUNK_ROWS } from '../../../src/apps/grpc/music-service.ts';
import { MusicService, StreamAlbumsResponseSchema } from '../../../src/gen/service/music_pb.js';
import { config, idBlock, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import { startServer, type TestServer } from './harness.ts';

// A full collection between samples, so that they measure what is alive, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// Buffers (encoded messages, socket data) live outside the V8 heap: both are counted. Buffers
// are released by a sweeper after the collection, hence the second one a turn later.
const liveHeap = async () => {
  gc();
  await setImmediate();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};
const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const ROWS = 100_000;
const ids = idBlock(ROWS);
const artist = uniqueName('streamed');
const sql = testSql();
// The server's own pool (and name, to find its backends in pg_stat_activity).
const APP = 'music-test-grpc-stream';
let serverSql: Sql;
let server: TestServer;

before(async () => {
  // Titles of 150+ characters make the whole result large next to one chunk.
  await sql`
    insert into music.albums (id, title, artist, price)
    select g, 'Streamed album ' || g || ' ' || repeat('x', 150), ${artist}, (g % 100000) / 100.0
    from generate_series(${ids[0] ?? 0}::int4, ${ids.at(-1) ?? 0}::int4) as g`;
  serverSql = createSql({ url: config.DATABASE_URL, max: 4, applicationName: APP });
  server = await startServer(serverSql);
});

after(async () => {
  await server?.close();
  await serverSql?.end({ timeout: 5 });
  await sql`delete from music.albums where artist = ${artist}`;
  await sql.end({ timeout: 5 });
});

/** Whether some transaction still holds a lock on music.albums (a cursor does, until closed). */
async function tableInUse(): Promise<boolean> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int4 as n from pg_locks l join pg_stat_activity a using (pid)
    where l.relation = 'music.albums'::regclass and a.application_name = ${APP}`;
  return (row?.n ?? 0) > 0;
}

test('StreamAlbums delivers 100,000 rows once each, in chunks, in bounded memory', async (t) => {
  const music = server.client(MusicService);
  const baseline = await liveHeap();
  let peak = 0;
  let peakRss = 0;
  const rssBaseline = process.memoryUsage().rss;
  let wireBytes = 0;
  let messages = 0;
  let expected = ids[0] ?? 0;
  for await (const chunk of music.streamAlbums({ artist: artist.toUpperCase() })) {
    messages += 1;
    wireBytes += toBinary(StreamAlbumsResponseSchema, chunk).length;
    assert.ok(chunk.albums.length > 0 && chunk.albums.length <= STREAM_CHUNK_ROWS);
    for (const album of chunk.albums) {
      assert.equal(album.id, expected, 'every row once, in id order');
      expected += 1;
    }
    const first = chunk.albums[0];
    assert.equal(first?.priceCents, BigInt((first?.id ?? 0) % 100000), 'price_cents is filled');
    // A slow reader: the server must wait for it rather than read ahead.
    await sleep(5);
    if (messages % 5 === 0) {
      peak = Math.max(peak, (await liveHeap()) - baseline);
      peakRss = Math.max(peakRss, process.memoryUsage().rss - rssBaseline);
    }
  }
  assert.equal(expected, (ids.at(-1) ?? 0) + 1, 'the last row arrived');
  assert.equal(messages, ROWS / STREAM_CHUNK_ROWS);

  // What holding the whole result would cost: the rows as the driver returns them, no more.
  const before = await liveHeap();
  const whole = await sql`
    select id, title, artist, price::float8 as price from music.albums where artist = ${artist}`;
  const wholeResultHeap = (await liveHeap()) - before;
  assert.equal(whole.length, ROWS);

  const report = `live heap growth peaked at ${MB(peak)} (RSS +${MB(peakRss)}); the whole result is ${MB(wireBytes)} on the wire and ${MB(wholeResultHeap)} as rows in memory`;
  t.diagnostic(report);
  assert.ok(wireBytes > 20 * 1024 * 1024, `a result worth streaming: ${MB(wireBytes)}`);
  assert.ok(peak < wholeResultHeap / 5, report);
  assert.ok(peak < wireBytes / 5, report);
});

test('StreamAlbums ends its query when the client cancels, even while the server waits for it', async () => {
  const music = server.client(MusicService);
  const controller = new AbortController();
  const stream = music.streamAlbums({ artist }, { signal: controller.signal });
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(first.done, false);
  // The client stops reading: the server fills the flow-control windows and blocks writing,
  // with the cursor open.
  await sleep(300);
  assert.equal(await tableInUse(), true, 'the cursor is open while the stream is');
  controller.abort();
  await assert.rejects(iterator.next(), (err: unknown) => {
    assert.equal(ConnectError.from(err).code, Code.Canceled);
    return true;
  });
  await waitFor(
    'the cursor to close',
    async () => ((await tableInUse()) ? undefined : true),
    30_000,
  );
  // The connection went back to the pool, usable.
  const [row] = await serverSql<{ one: number }[]>`select 1 as one`;
  assert.equal(row?.one, 1);
});

test('StreamAlbums with another artist, or none, filters as ListAlbums does', async () => {
  const music = server.client(MusicService);
  const nobody: number[] = [];
  for await (const chunk of music.streamAlbums({ artist: uniqueName('nobody') })) {
    nobody.push(chunk.albums.length);
  }
  assert.deepEqual(nobody, [], 'no rows, no messages');

  const [row] = await sql<{ n: number }[]>`select count(*)::int4 as n from music.albums`;
  let all = 0;
  let last = 0;
  for await (const chunk of music.streamAlbums({})) {
    for (const album of chunk.albums) {
      assert.ok(album.id > last, 'ascending ids');
      last = album.id;
    }
    all += chunk.albums.length;
  }
  assert.equal(all, row?.n, 'every album of the table');
});

test('StreamAlbums calls beyond half the pool are UNAVAILABLE until one ends', async (t) => {
  // A pool of 2 allows one stream at a time.
  const smallSql = createSql({ url: config.DATABASE_URL, max: 2, applicationName: APP });
  const small = await startServer(smallSql);
  t.after(async () => {
    await small.close();
    await smallSql.end({ timeout: 5 });
  });
  const music = small.client(MusicService);
  const controller = new AbortController();
  const open = music
    .streamAlbums({ artist }, { signal: controller.signal })
    [Symbol.asyncIterator]();
  assert.equal((await open.next()).done, false);

  const refused = music.streamAlbums({ artist })[Symbol.asyncIterator]();
  await assert.rejects(refused.next(), (err: unknown) => {
    assert.equal(ConnectError.from(err).code, Code.Unavailable);
    return true;
  });
  // The rest of the API is still served meanwhile.
  assert.equal((await music.getAlbum({ id: ids[0] ?? 0 })).id, ids[0]);

  controller.abort();
  await assert.rejects(open.next());
  const admitted = await waitFor(
    'a stream to be admitted again',
    async () => {
      try {
        const it = music.streamAlbums({ artist })[Symbol.asyncIterator]();
        const next = await it.next();
        await it.return?.();
        return next.done === false ? true : undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  assert.equal(admitted, true);
});
