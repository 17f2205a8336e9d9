// The unary fast path answers plain gRPC calls to GetAlbum and ListAlbums without Connect; every
// other request goes to Connect. Here both answer the same calls and must agree byte for byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { create, type DescMessage, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  type FastRoute,
  fastRoute,
  withUnaryFastPath,
} from '../../../src/apps/grpc/unary-fast-path.ts';
import {
  GetAlbumRequestSchema,
  ListAlbumsRequestSchema,
  MusicService,
} from '../../../src/gen/service/music_pb.js';
import { idBlock, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import { envelope, rawCall, startServer, type TestServer } from './harness.ts';

const sql = testSql();
const ids = idBlock(5);
const artist = uniqueName('fast path');
let server: TestServer;

before(async () => {
  for (const [i, id] of ids.entries()) {
    await sql`
      insert into music.albums (id, title, artist, price)
      values (${id}, ${`Take ${i} ✓`}, ${artist}, ${10 + i / 100})`;
  }
  server = await startServer(sql);
});

after(async () => {
  await server?.close();
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql.end({ timeout: 5 });
});

const limits = { readMaxBytes: 1024, writeMaxBytes: 1024 };

const encoded = <S extends DescMessage>(schema: S, init: MessageInitShape<S>) =>
  toBinary(schema, create(schema, init));

/** An HTTP/2 server of one fast route, with `next` in Connect's place. */
async function serveFastPath(
  route: FastRoute,
  next: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
) {
  const h2 = http2.createServer(
    withUnaryFastPath([route], { ...limits, compressMinBytes: 64 }, next),
  );
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  return {
    baseUrl: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => h2.close(resolve)),
  };
}

/** The same request sent plain (the fast path) and gzipped (which only Connect reads). */
async function bothWays(method: string, message: Uint8Array) {
  const path = `/service.MusicService/${method}`;
  const fast = await rawCall(server.baseUrl, path, envelope(message));
  const zipped = envelope(gzipSync(message));
  zipped[0] = 1;
  const connect = await rawCall(server.baseUrl, path, zipped, { 'grpc-encoding': 'gzip' });
  return { fast, connect };
}

test('GetAlbum and ListAlbums answer exactly as Connect does: messages, statuses, details', async () => {
  const pageOne = await rawCall(
    server.baseUrl,
    '/service.MusicService/ListAlbums',
    envelope(encoded(ListAlbumsRequestSchema, { artist, pageSize: 2 })),
  );
  assert.equal(pageOne.status, 0, pageOne.message);
  const cases: [string, string, Uint8Array][] = [
    ['an album', 'GetAlbum', encoded(GetAlbumRequestSchema, { id: ids[0] ?? 0 })],
    ['a missing album', 'GetAlbum', encoded(GetAlbumRequestSchema, { id: 2_000_000_000 })],
    ['id 0', 'GetAlbum', encoded(GetAlbumRequestSchema, { id: 0 })],
    ['a missing negative id', 'GetAlbum', encoded(GetAlbumRequestSchema, { id: -3 })],
    ['a page', 'ListAlbums', encoded(ListAlbumsRequestSchema, { artist, pageSize: 2 })],
    ['the last page', 'ListAlbums', encoded(ListAlbumsRequestSchema, { artist, pageSize: 5 })],
    ['a page size too large', 'ListAlbums', encoded(ListAlbumsRequestSchema, { pageSize: 501 })],
    ['a foreign token', 'ListAlbums', encoded(ListAlbumsRequestSchema, { pageToken: 'nope' })],
    ['bytes that are no message', 'ListAlbums', new Uint8Array([0x08, 0xff])],
  ];
  for (const [name, method, message] of cases) {
    const { fast, connect } = await bothWays(method, message);
    assert.notEqual(fast.status, undefined, `${name}: a status`);
    assert.equal(fast.status, connect.status, `${name}: ${fast.message} / ${connect.message}`);
    assert.equal(fast.message, connect.message, name);
    assert.deepEqual(fast.body, connect.body, `${name}: the same bytes`);
    assert.equal(
      fast.metadata['grpc-status-details-bin'],
      connect.metadata['grpc-status-details-bin'],
      `${name}: the same details`,
    );
    assert.equal(fast.metadata['content-type'], connect.metadata['content-type'], name);
  }
  // The listing itself: five albums, two a page, in id order, the price in cents exact.
  const { fast } = await bothWays(
    'ListAlbums',
    encoded(ListAlbumsRequestSchema, { artist, pageSize: 5 }),
  );
  assert.equal(fast.body.readUInt32BE(1), fast.body.length - 5, 'one whole envelope');
  assert.ok(fast.body.includes(Buffer.from('Take 4 ✓')), 'the last album is on the page');
});

test('only plain binary gRPC calls to the chosen methods take the fast path', async () => {
  const seen: string[] = [];
  const route = fastRoute(
    MusicService.method.getAlbum,
    async (request) => {
      if (request.id === 7) throw new ConnectError('seven is taken', Code.AlreadyExists);
      return create(MusicService.method.getAlbum.output, { id: request.id, title: 'fast' });
    },
    limits,
  );
  const { baseUrl, close } = await serveFastPath(route, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
    res.writeHead(404).end();
  });
  try {
    const request = envelope(encoded(GetAlbumRequestSchema, { id: 3 }));
    const answered = await rawCall(baseUrl, '/service.MusicService/GetAlbum', request);
    assert.equal(answered.status, 0);
    assert.ok(answered.body.includes(Buffer.from('fast')));
    const refused = await rawCall(
      baseUrl,
      '/service.MusicService/GetAlbum',
      envelope(encoded(GetAlbumRequestSchema, { id: 7 })),
    );
    assert.equal(refused.status, Code.AlreadyExists);
    assert.equal(refused.message, 'seven is taken');
    // A bare content type and a deadline are read by the fast path too.
    const bare = await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, {
      'content-type': 'application/grpc',
      'grpc-timeout': '5S',
    });
    assert.equal(bare.status, 0);
    const badDeadline = await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, {
      'grpc-timeout': 'soon',
    });
    assert.equal(badDeadline.status, Code.InvalidArgument, badDeadline.message);
    assert.deepEqual(seen, [], 'nothing above reached Connect');

    await rawCall(baseUrl, '/service.MusicService/ListAlbums', request);
    await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, {
      'content-type': 'application/grpc+json',
    });
    await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, { 'grpc-encoding': 'gzip' });
    await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, {
      'content-type': 'application/proto',
    });
    assert.deepEqual(seen, [
      'POST /service.MusicService/ListAlbums application/grpc+proto',
      'POST /service.MusicService/GetAlbum application/grpc+json',
      'POST /service.MusicService/GetAlbum application/grpc+proto',
      'POST /service.MusicService/GetAlbum application/proto',
    ]);
  } finally {
    await close();
  }
});

test('a large answer is gzipped for a client that accepts gzip, one too large refused', async () => {
  const title = 'x'.repeat(200);
  const route = fastRoute(
    MusicService.method.getAlbum,
    async (request) =>
      create(MusicService.method.getAlbum.output, {
        id: request.id,
        title: request.id === 9 ? title.repeat(10) : title,
      }),
    limits,
  );
  const { baseUrl, close } = await serveFastPath(route, () => assert.fail('not for Connect'));
  try {
    const request = envelope(encoded(GetAlbumRequestSchema, { id: 3 }));
    const plain = await rawCall(baseUrl, '/service.MusicService/GetAlbum', request);
    assert.equal(plain.body[0], 0);
    assert.ok(plain.body.includes(Buffer.from(title)));
    const zipped = await rawCall(baseUrl, '/service.MusicService/GetAlbum', request, {
      'grpc-accept-encoding': 'identity, gzip',
    });
    assert.equal(zipped.status, 0);
    assert.equal(zipped.metadata['grpc-encoding'], 'gzip');
    assert.equal(zipped.body[0], 1, 'the compressed flag');
    assert.ok(zipped.body.length < plain.body.length);
    const tooLarge = await rawCall(
      baseUrl,
      '/service.MusicService/GetAlbum',
      envelope(encoded(GetAlbumRequestSchema, { id: 9 })),
    );
    assert.equal(tooLarge.status, Code.ResourceExhausted, tooLarge.message);
    assert.equal(tooLarge.body.length, 0);
  } finally {
    await close();
  }
});

test('a client that goes away cancels its call, and a deadline answers while the handler hangs', async () => {
  const reasons: unknown[] = [];
  let calls = 0;
  const route = fastRoute(
    MusicService.method.getAlbum,
    (_request, { signal }) =>
      new Promise((_resolve, reject) => {
        calls++;
        // Like a query: it ends only when its call is cancelled.
        signal.addEventListener('abort', () => {
          reasons.push(signal.reason);
          reject(signal.reason);
        });
      }),
    limits,
  );
  const { baseUrl, close } = await serveFastPath(route, () => assert.fail('not for Connect'));
  try {
    const session = http2.connect(baseUrl);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/service.MusicService/GetAlbum',
      'content-type': 'application/grpc+proto',
    });
    stream.on('error', () => {});
    stream.end(envelope(encoded(GetAlbumRequestSchema, { id: 1 })));
    // Cancelled once the handler runs (not after a fixed time, which a busy machine may not
    // reach the handler in), and the handler told of it; both waits only bound a hang.
    await waitFor('the handler to run', async () => (calls > 0 ? true : undefined), 10_000);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(
      'the handler to be told',
      async () => (reasons.length > 0 ? true : undefined),
      10_000,
    );
    session.close();
    assert.equal(ConnectError.from(reasons[0]).code, Code.Canceled);

    const timedOut = await rawCall(
      baseUrl,
      '/service.MusicService/GetAlbum',
      envelope(encoded(GetAlbumRequestSchema, { id: 1 })),
      { 'grpc-timeout': '50m' },
    );
    assert.equal(timedOut.status, Code.DeadlineExceeded, timedOut.message);
    // The handler never ends by itself: an answer at all is the deadline's (bound wide for a
    // busy machine).
    assert.ok(timedOut.ms < 10_000, `${timedOut.ms} ms`);
    assert.equal(ConnectError.from(reasons[1]).code, Code.DeadlineExceeded, 'the handler told');
  } finally {
    await close();
  }
});
