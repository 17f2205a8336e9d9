import http2 from 'node:http2';
import { codeToHttpStatus, errorToJsonBytes } from '@connectrpc/connect/protocol-connect';
import { setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Sql } from '../../adapters/db/client.ts';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { ServerReflection as ReflectionV1 } from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ReflectionV1alpha } from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';
import { MusicService } from '../../gen/service/music_pb.js';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { createGenerationCache, type Generations } from '../../shared/generation-cache.ts';
import type { Logger } from '../../shared/logger.ts';
import { capGrpcTimeout } from './deadline-cap.ts';
import { createExportGate, EXPORTS_BUSY, type ExportGate, exportsFor } from './export-gate.ts';
import { healthService } from './health-service.ts';
import { musicService } from './music-service.ts';
import { serverReflection } from './reflection.ts';
import { reflectionV1, reflectionV1alpha } from './reflection-service.ts';
import { toConnectError } from './status.ts';
import { type CallContext, fastRoute, withUnaryFastPath } from './unary-fast-path.ts';

/** The largest request or response message, in bytes; a larger request is RESOURCE_EXHAUSTED. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Responses smaller than this are sent uncompressed even to clients that accept gzip: a page of
 * albums compresses in about as long as it takes to send, and gzip cost ListAlbums a fifth of its
 * CPU. Exports (GetAlbumList, StreamAlbums chunks) are larger and still compressed.
 */
export const COMPRESS_MIN_BYTES = 64 * 1024;

/**
 * The internal gRPC API: an h2c server speaking the gRPC protocol (and Connect, for curl). A
 * call's deadline (grpc-timeout) aborts its context.signal, which cancels its SQL.
 */
export function createGrpcServer(
  sql: Sql,
  log: Logger,
  generations: Generations,
): http2.Http2Server {
  let lastCheck = { at: 0, ok: Promise.resolve(false) };
  const databaseAnswers = () => {
    if (Date.now() - lastCheck.at > 1000) {
      lastCheck = {
        at: Date.now(),
        ok: sql`select 1`.then(
          () => true,
          () => false,
        ),
      };
    }
    return lastCheck.ok;
  };
  const exports = createExportGate(exportsFor(sql.options.max));
  const music = musicService(sql, log, exports);
  const limits = { readMaxBytes: MAX_MESSAGE_BYTES, writeMaxBytes: MAX_MESSAGE_BYTES };
  const connect = connectNodeAdapter({
    grpc: true,
    grpcWeb: false,
    connect: true,
    ...limits,
    compressMinBytes: COMPRESS_MIN_BYTES,
    routes(router) {
      router.service(MusicService, music);
      router.service(Health, healthService(databaseAnswers));
      // Reflection describes exactly what the router serves, itself included.
      const session = serverReflection(() => router.handlers.map((h) => h.service));
      router.service(ReflectionV1, reflectionV1(session));
      router.service(ReflectionV1alpha, reflectionV1alpha(session));
    },
  });
  // Every unary method skips Connect's pipeline when called over plain gRPC (see the fast path),
  // and answers from encoded answers kept until the albums table changes.
  const answers = createGenerationCache<Uint8Array>(generations, KEPT_ANSWERS);
  const handler = withUnaryFastPath(
    [
      fastRoute(
        MusicService.method.getAlbumList,
        exportOnMiss(exports, music.getAlbumList),
        limits,
        answers,
      ),
      fastRoute(MusicService.method.listAlbums, music.listAlbums, limits, answers),
      fastRoute(MusicService.method.getAlbum, music.getAlbum, limits, answers),
    ],
    { ...limits, compressMinBytes: COMPRESS_MIN_BYTES },
    (req, res) => {
      // GetAlbumList through Connect answers in one message that Connect holds until the client
      // has read it: its place is kept until the response is closed, which no handler sees.
      if (req.url === GET_ALBUM_LIST) {
        if (!exports.tryEnter()) {
          refuseBusy(req, res);
          return;
        }
        res.once('close', () => exports.leave());
      }
      connect(req, res);
    },
  );
  // Each call starts at the server's 'request' event and ends at its response's 'close', for
  // both paths: the runtime observes calls there (call-observer.ts), before this handler.
  return http2.createServer((req, res) => {
    capGrpcTimeout(req.headers);
    handler(req, res);
  });
}

const GET_ALBUM_LIST = `/${MusicService.typeName}/${MusicService.method.getAlbumList.name}`;

/**
 * Distinct requests whose answers are kept (pages, ids, the whole list); each is at most one
 * page of 1,000 albums, except the whole list, which is one.
 */
const KEPT_ANSWERS = 1024;

/**
 * GetAlbumList reading the table takes an export's place for as long as it reads (refused with
 * UNAVAILABLE when none is free); an answer kept from an earlier read takes none, since every
 * call it is given to shares its bytes.
 */
function exportOnMiss<I, O>(
  exports: ExportGate,
  handle: (request: I, context: CallContext) => Promise<O>,
): (request: I, context: CallContext) => Promise<O> {
  return async (request, context) => {
    if (!exports.tryEnter())
      throw toConnectError(new AppError(ErrorCode.Unavailable, EXPORTS_BUSY));
    try {
      return await handle(request, context);
    } finally {
      exports.leave();
    }
  };
}

/** UNAVAILABLE in the request's protocol, encoded by Connect's own helpers. */
function refuseBusy(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const busy = toConnectError(new AppError(ErrorCode.Unavailable, EXPORTS_BUSY));
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/grpc')) {
    // Headers, no message, the status in the trailers: as the fast path answers a failed call.
    res.writeHead(200, { 'content-type': type });
    res.addTrailers(Object.fromEntries(setTrailerStatus(new Headers(), busy)));
    res.end();
    return;
  }
  res.writeHead(codeToHttpStatus(busy.code), { 'content-type': 'application/json' });
  res.end(errorToJsonBytes(busy, undefined));
}
