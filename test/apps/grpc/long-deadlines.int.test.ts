// Deadlines as long as gRPC allows (99,999,999 hours): clients send them for "no deadline". Node
// fires a timer over 2^31 − 1 ms at once, and both the fast path and Connect armed one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GetAlbumsRequestSchema,
  ListAlbumsRequestSchema,
} from '../../../src/gen/service/music_pb.js';
import { testSql } from '../../support/stack.ts';
import { envelope, rawCall, serverForFile } from './harness.ts';

const server = serverForFile(testSql(1));

for (const timeout of ['8760H', '99999999H']) {
  test(`grpc-timeout ${timeout}: the fast path and Connect answer OK`, async () => {
    const { baseUrl } = server();
    const list = envelope(toBinary(ListAlbumsRequestSchema, create(ListAlbumsRequestSchema, {})));
    const fast = await rawCall(baseUrl, '/service.MusicService/ListAlbums', list, {
      'grpc-timeout': timeout,
    });
    assert.equal(fast.status, 0, `fast path: ${fast.message}`);
    // GetAlbumList is served by Connect: the fast path takes only the hot unary reads.
    const all = envelope(toBinary(GetAlbumsRequestSchema, create(GetAlbumsRequestSchema, {})));
    const connect = await rawCall(baseUrl, '/service.MusicService/GetAlbumList', all, {
      'grpc-timeout': timeout,
    });
    assert.equal(connect.status, 0, `Connect: ${connect.message}`);
  });
}
