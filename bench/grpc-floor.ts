// The floor under gRPC ListAlbums on this machine: the same 50-album page answered from memory
// (no database) by a bare node:http2 server, by Connect alone, and by the unary fast path in
// front of Connect (as the gRPC API serves it), under the bench's ListAlbums load. What each
// costs per call above the bare server is what no handler change can win back.
// Usage: node bench/grpc-floor.ts [seconds]
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { toMessage } from '../src/apps/grpc/album-message.ts';
import { COMPRESS_MIN_BYTES, MAX_MESSAGE_BYTES } from '../src/apps/grpc/server.ts';
import { fastRoute, withUnaryFastPath } from '../src/apps/grpc/unary-fast-path.ts';
import { ListAlbumsResponseSchema, MusicService } from '../src/gen/service/music_pb.js';
import { albumBody } from './albums.ts';
import { grpcFrame, grpcUnaryLoad, listAlbumsCall } from './load/grpc-load.ts';
import { processCpuMs } from './machine.ts';

const KINDS = ['http2', 'connect', 'fast-path'] as const;
type Kind = (typeof KINDS)[number];

const page = () =>
  create(ListAlbumsResponseSchema, {
    albums: Array.from({ length: 50 }, (_, i) => toMessage({ id: 101 + i, ...albumBody(i) })),
    nextPageToken: 'next',
  });

/** A ListAlbums server answering the same page to every call. */
function serve(kind: Kind): http2.Http2Server {
  const limits = { readMaxBytes: MAX_MESSAGE_BYTES, writeMaxBytes: MAX_MESSAGE_BYTES };
  const connect = connectNodeAdapter({
    ...limits,
    compressMinBytes: COMPRESS_MIN_BYTES,
    routes: (router) => router.rpc(MusicService.method.listAlbums, async () => page()),
  });
  if (kind === 'connect') return http2.createServer(connect);
  if (kind === 'fast-path') {
    const route = fastRoute(MusicService.method.listAlbums, async () => page(), limits);
    return http2.createServer(
      withUnaryFastPath([route], { ...limits, compressMinBytes: COMPRESS_MIN_BYTES }, connect),
    );
  }
  const body = grpcFrame(toBinary(ListAlbumsResponseSchema, page()));
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(body);
    });
  });
  return server;
}

const [role, arg] = process.argv.slice(2);
if (role === 'serve') {
  const server = serve(KINDS.find((k) => k === arg) ?? 'http2');
  server.listen(0, '127.0.0.1', () =>
    process.send?.({ port: (server.address() as AddressInfo).port }),
  );
  process.on('disconnect', () => process.exit(0));
} else {
  const seconds = Number(role ?? 6);
  for (const kind of KINDS) {
    const child = fork(import.meta.filename, ['serve', kind], {
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    const { port } = await new Promise<{ port: number }>((resolve) =>
      child.once('message', (m) => resolve(m as { port: number })),
    );
    const load = { baseUrl: `http://127.0.0.1:${port}`, concurrency: 32, call: listAlbumsCall(50) };
    await grpcUnaryLoad({ ...load, seconds: 2 });
    const before = processCpuMs(child.pid ?? 0) ?? 0;
    const result = await grpcUnaryLoad({ ...load, seconds });
    const cpuMs = (processCpuMs(child.pid ?? 0) ?? 0) - before;
    child.disconnect();
    process.stdout.write(
      `${kind.padEnd(9)} ${Math.round(result.okPerSecond)} calls/s, ${Math.round((cpuMs * 1000) / result.ok)} µs of server CPU per call, ${result.failed} failed\n`,
    );
  }
}
