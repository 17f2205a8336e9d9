// Bad input to the gRPC API: a bad value is INVALID_ARGUMENT, bytes that are no request are
// refused with a status, and the server answers normally afterwards. (Bad ids, page sizes and
// tokens are in read-api.int.test.ts; message sizes and deadlines in limits.int.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  GetAlbumRequestSchema,
  ListAlbumsRequestSchema,
  MusicService,
} from '../../../src/gen/service/music_pb.js';
import { testSql } from '../../support/stack.ts';
import { envelope, rawCall, serverForFile } from './harness.ts';

/** gRPC status codes on the wire. */
const Status = { OK: 0 } as const;

const sql = testSql(2);
const server = serverForFile(sql);

async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (err: unknown) {
    return ConnectError.from(err).code;
  }
  assert.fail('the call succeeded');
}

test('an artist filter with a NUL character is INVALID_ARGUMENT for ListAlbums and StreamAlbums', async () => {
  const music = server().client(MusicService);
  assert.equal(await codeOf(music.listAlbums({ artist: 'a\u0000b' })), Code.InvalidArgument);
  const stream = async () => {
    for await (const _ of music.streamAlbums({ artist: '\u0000' })) {
      // Nothing may arrive before the refusal.
      assert.fail('a message arrived');
    }
  };
  assert.equal(await codeOf(stream()), Code.InvalidArgument);
  // SQL in the filter is a name like any other.
  const sqlText = await music.listAlbums({ artist: "' OR 1=1; DROP TABLE music.albums; --" });
  assert.deepEqual(sqlText.albums, []);
  // The stream slots of the refused calls were given back.
  let count = 0;
  for await (const page of music.streamAlbums({ artist: 'John Coltrane' }))
    count += page.albums.length;
  assert.ok(count >= 2, `the seed's Coltrane albums (${count})`);
});

// Connect, like grpc-go and grpc-java, answers a request it cannot deserialize with INTERNAL
// before any of our code runs; what matters is that it is refused and nothing breaks.
test('bytes that are not a request message are refused with a status, and the server carries on', async () => {
  const message = toBinary(
    ListAlbumsRequestSchema,
    create(ListAlbumsRequestSchema, { pageSize: 5 }),
  );
  const compressed = envelope(message);
  compressed[0] = 1; // the compressed flag, with no grpc-encoding agreed
  const cases: [string, Uint8Array][] = [
    ['garbage', envelope(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff]))],
    ['a truncated varint', envelope(new Uint8Array([0x08, 0xff]))],
    // ListAlbumsRequest.artist (field 3, a string) holding bytes that are not UTF-8.
    ['invalid UTF-8 in a string field', envelope(new Uint8Array([0x1a, 0x02, 0xc3, 0x28]))],
    ['a field of the wrong wire type', envelope(new Uint8Array([0x0d, 0x01, 0x02, 0x03, 0x04]))],
    ['an envelope announcing more than it carries', envelope(message, message.length + 100)],
    ['a compressed flag without an encoding', compressed],
  ];
  for (const [name, body] of cases) {
    for (const method of ['GetAlbum', 'ListAlbums'] as const) {
      const result = await rawCall(server().baseUrl, `/service.MusicService/${method}`, body);
      assert.ok(result.status !== undefined, `${method}, ${name}: a gRPC status`);
      assert.notEqual(result.status, Status.OK, `${method}, ${name}: ${result.message}`);
    }
  }
  const ok = await rawCall(
    server().baseUrl,
    '/service.MusicService/GetAlbum',
    envelope(toBinary(GetAlbumRequestSchema, create(GetAlbumRequestSchema, { id: 1 }))),
  );
  assert.equal(ok.status, Status.OK, ok.message);
  assert.equal((await server().client(MusicService).getAlbum({ id: 1 })).title, 'Blue Train');
});
