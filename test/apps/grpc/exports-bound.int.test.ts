// GetAlbumList and StreamAlbums share one bound: a client that holds exports open (here one that
// never sends its request) cannot take more than half the pool, nor grow the process without end.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  GetAlbumsRequestSchema,
  ListAlbumsRequestSchema,
  StreamAlbumsRequestSchema,
} from '../../../src/gen/service/music_pb.js';
import { testSql } from '../../support/stack.ts';
import { envelope, rawCall, serverForFile } from './harness.ts';

// A pool of two: one export at a time.
const server = serverForFile(testSql(2));
const GET_ALBUM_LIST = '/service.MusicService/GetAlbumList';

test('while an export is held, another GetAlbumList or StreamAlbums is UNAVAILABLE; other calls and a later export are answered', async () => {
  const { baseUrl } = server();
  const all = envelope(toBinary(GetAlbumsRequestSchema, create(GetAlbumsRequestSchema, {})));
  const session = http2.connect(baseUrl);
  try {
    // The request (Connect's protocol, which holds its place from the start) is never finished:
    // the server waits for its message, holding the place. Over gRPC, a GetAlbumList reading
    // the table holds one while it reads; an answer kept in memory needs none.
    const held = session.request({
      ':method': 'POST',
      ':path': GET_ALBUM_LIST,
      'content-type': 'application/proto',
      te: 'trailers',
    });
    held.on('error', () => {});
    await sleep(300);

    const second = await rawCall(baseUrl, GET_ALBUM_LIST, all);
    assert.equal(second.status, Code.Unavailable, second.message);
    assert.match(second.message, /Too many exports/);
    const stream = await rawCall(
      baseUrl,
      '/service.MusicService/StreamAlbums',
      envelope(toBinary(StreamAlbumsRequestSchema, create(StreamAlbumsRequestSchema, {}))),
    );
    assert.equal(stream.status, Code.Unavailable, 'StreamAlbums counts against the same bound');
    const page = await rawCall(
      baseUrl,
      '/service.MusicService/ListAlbums',
      envelope(toBinary(ListAlbumsRequestSchema, create(ListAlbumsRequestSchema, {}))),
    );
    assert.equal(page.status, 0, 'a page is no export');

    held.close(http2.constants.NGHTTP2_CANCEL);
    await sleep(300);
    const later = await rawCall(baseUrl, GET_ALBUM_LIST, all);
    assert.equal(later.status, 0, `the place was given back: ${later.message}`);
  } finally {
    session.close();
  }
});
