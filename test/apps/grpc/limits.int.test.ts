// Deadlines and message size: a call whose deadline passes is DEADLINE_EXCEEDED, answered by
// the server itself with its SQL cancelled; a request above MAX_MESSAGE_BYTES is refused.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, type DescMessage, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { createSql, type Sql } from '../../../src/adapters/db/client.ts';
import { MAX_MESSAGE_BYTES } from '../../../src/apps/grpc/server.ts';
import {
  GetAlbumRequestSchema,
  GetAlbumsRequestSchema,
  ListAlbumsRequestSchema,
  MusicService,
  StreamAlbumsRequestSchema,
} from '../../../src/gen/service/music_pb.js';
import { config, testSql, waitFor } from '../../support/stack.ts';
import { envelope, rawCall, startServer, type TestServer } from './harness.ts';

/** gRPC status codes on the wire. */
const Status = { DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8 } as const;

const sql = testSql();
const APP = 'music-test-grpc-limits';
let serverSql: Sql;
let server: TestServer;

before(async () => {
  serverSql = createSql({ url: config.DATABASE_URL, max: 4, applicationName: APP });
  server = await startServer(serverSql);
});

after(async () => {
  await server?.close();
  await serverSql?.end({ timeout: 5 });
  await sql.end({ timeout: 5 });
});

/** How many of the server's statements wait for a lock in PostgreSQL. */
async function serverQueriesWaiting(): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int4 as n from pg_stat_activity
    where application_name = ${APP} and wait_event_type = 'Lock'`;
  return row?.n ?? 0;
}

/** Runs `body` while music.albums is locked, so that every read of it blocks. */
function withTableLocked<T>(body: () => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`lock table music.albums in access exclusive mode`;
    return body();
  }) as Promise<T>;
}

const encoded = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  envelope(toBinary(schema, create(schema, init)));

test('a deadline that passes while the SQL is blocked: DEADLINE_EXCEEDED from the server, query cancelled', async () => {
  const music = server.client(MusicService);
  await withTableLocked(async () => {
    // A real client with a 100 ms deadline.
    const started = performance.now();
    await assert.rejects(music.getAlbum({ id: 1 }, { timeoutMs: 100 }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.DeadlineExceeded);
      return true;
    });
    // The lock is held until this block ends: any answer at all is the deadline's. The bound
    // only keeps a busy machine's slowness apart from a wait for the lock.
    assert.ok(performance.now() - started < 10_000);

    // The same on the wire, without a client that gives up by itself: the status is the
    // server's, for every method that reads.
    const calls = [
      ['GetAlbum', encoded(GetAlbumRequestSchema, { id: 1 })],
      ['ListAlbums', encoded(ListAlbumsRequestSchema, { artist: 'x' })],
      ['GetAlbumList', encoded(GetAlbumsRequestSchema, {})],
      ['StreamAlbums', encoded(StreamAlbumsRequestSchema, {})],
    ] as const;
    for (const [method, body] of calls) {
      const result = await rawCall(server.baseUrl, `/service.MusicService/${method}`, body, {
        'grpc-timeout': '150m',
      });
      assert.equal(result.status, Status.DEADLINE_EXCEEDED, `${method}: ${result.message}`);
      // Never before the deadline; after it, however busy the machine (the lock stays held).
      assert.ok(result.ms >= 140 && result.ms < 10_000, `${method} answered after ${result.ms} ms`);
    }

    // None of those statements is left waiting for the lock: each was cancelled in PostgreSQL.
    await waitFor(
      'the cancelled statements to go',
      async () => ((await serverQueriesWaiting()) === 0 ? true : undefined),
      30_000,
    );
  });
  // The pool's connections are fine afterwards.
  assert.equal((await music.getAlbum({ id: 1 })).title, 'Blue Train');
});

test('a deadline while PostgreSQL refuses the cancel request still answers, and nothing crashes', async (t) => {
  // A pool behind a proxy that stops accepting connections, as a server going away would: the
  // query's connection stays up, the cancel request's connection is refused.
  const target = new URL(config.DATABASE_URL);
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  proxy.listen(0, '127.0.0.1');
  await new Promise((resolve) => proxy.once('listening', resolve));
  const url = new URL(config.DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String((proxy.address() as net.AddressInfo).port);
  const proxiedSql = createSql({ url: url.href, max: 1, applicationName: `${APP}-proxied` });
  const proxied = await startServer(proxiedSql);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.after(async () => {
    process.off('unhandledRejection', onRejection);
    await proxied.close();
    await proxiedSql.end({ timeout: 1 });
    for (const s of sockets) s.destroy();
  });
  await proxiedSql`select 1`; // the one connection, through the proxy

  await withTableLocked(async () => {
    proxy.close();
    const result = await rawCall(
      proxied.baseUrl,
      '/service.MusicService/GetAlbum',
      encoded(GetAlbumRequestSchema, { id: 1 }),
      { 'grpc-timeout': '100m' },
    );
    assert.equal(result.status, Status.DEADLINE_EXCEEDED, result.message);
    await sleep(500); // the refused cancel request has failed by now
  });
  assert.deepEqual(rejections, [], 'no unhandled rejection');
});

test('a request above MAX_MESSAGE_BYTES is RESOURCE_EXHAUSTED, one at the limit is read', async () => {
  const music = server.client(MusicService, 200);
  // A ListAlbumsRequest with only a page_token: 1 tag byte, 4 length bytes (for lengths from
  // 2 MiB to 256 MiB), then the token.
  const tokenOf = (messageBytes: number) => 'x'.repeat(messageBytes - 5);
  assert.equal(
    toBinary(ListAlbumsRequestSchema, create(ListAlbumsRequestSchema, { pageToken: tokenOf(3e6) }))
      .length,
    3e6,
  );

  // At the limit the request is read and parsed: the token is then refused as not ours.
  await assert.rejects(
    music.listAlbums({ pageToken: tokenOf(MAX_MESSAGE_BYTES) }),
    (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.InvalidArgument, String(err));
      return true;
    },
  );
  // One byte more is refused before it is read.
  await assert.rejects(
    server.client(MusicService, 200).listAlbums({ pageToken: tokenOf(MAX_MESSAGE_BYTES + 1) }),
    (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.ResourceExhausted, String(err));
      return true;
    },
  );

  // Only a length prefix announcing too much: refused from the prefix, nothing buffered.
  const announced = envelope(new Uint8Array(16), MAX_MESSAGE_BYTES + 1);
  const result = await rawCall(server.baseUrl, '/service.MusicService/GetAlbum', announced);
  assert.equal(result.status, Status.RESOURCE_EXHAUSTED, result.message);
  // The announced bytes never come: an answer at all means it was refused from the prefix.
  assert.ok(result.ms < 10_000, `${result.ms} ms`);

  assert.equal((await music.getAlbum({ id: 1 })).title, 'Blue Train', 'the server carries on');
});
