import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  GetAlbumsRequestSchema,
  GetAlbumsResponseSchema,
  ListAlbumsRequestSchema,
  ListAlbumsResponseSchema,
} from '../../src/gen/service/music_pb.js';
import { type LatencySummary, latencyRecorder, perSecond } from '../percentiles.ts';
import type { Generator } from './tools.ts';

export interface GrpcLoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly okPerSecond: number;
  readonly latency: LatencySummary;
  readonly generator: Generator;
}

/** A unary call to repeat: its path, its encoded request, and a check of a decoded answer. */
export interface UnaryCall {
  readonly path: string;
  readonly request: Uint8Array;
  check(message: Uint8Array): boolean;
}

/** ListAlbums of one page of `pageSize`, which must come back full. */
export function listAlbumsCall(pageSize: number): UnaryCall {
  return {
    path: '/service.MusicService/ListAlbums',
    request: toBinary(ListAlbumsRequestSchema, create(ListAlbumsRequestSchema, { pageSize })),
    check: (m) => fromBinary(ListAlbumsResponseSchema, m).albums.length === pageSize,
  };
}

/** GetAlbumList, which must answer `rows` albums. */
export function getAlbumListCall(rows: number): UnaryCall {
  return {
    path: '/service.MusicService/GetAlbumList',
    request: toBinary(GetAlbumsRequestSchema, create(GetAlbumsRequestSchema, {})),
    check: (m) => fromBinary(GetAlbumsResponseSchema, m).albums.length === rows,
  };
}
// Every hundredth answer is decoded in full and its page checked; the others are checked by
// status and size, so that the client spends its CPU on sending rather than decoding.
const CHECK_EVERY = 100;

/** A gRPC length-prefixed message: uncompressed flag, 4-byte big-endian length, bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The message inside a gRPC response body, or null when it is not one whole frame. */
export function unframe(body: Buffer): { compressed: boolean; message: Buffer } | null {
  if (body.length < 5 || (body[0] !== 0 && body[0] !== 1)) return null;
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return null;
  return { compressed: body[0] === 1, message: body.subarray(5) };
}

/**
 * One call on `session`: whether it answered OK (its page checked in full when `check`), and
 * its body's bytes. `gzip` says the client accepts compressed answers, as grpc-js does.
 */
function unaryCall(
  session: http2.ClientHttp2Session,
  call: UnaryCall,
  o: {
    readonly request: Buffer;
    readonly check: boolean;
    readonly gzip: boolean;
    readonly signal?: AbortSignal;
  },
): Promise<{ ok: boolean; bodyBytes: number }> {
  return new Promise((resolve) => {
    const stream = session.request(
      {
        ':method': 'POST',
        ':path': call.path,
        'content-type': 'application/grpc',
        te: 'trailers',
        // The server may then compress its answer (it says so in grpc-encoding and the frame's flag).
        ...(o.gzip ? { 'grpc-accept-encoding': 'identity,deflate,gzip' } : {}),
      },
      o.signal ? { signal: o.signal } : {},
    );
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => {
      status = String(t['grpc-status']);
    });
    stream.on('error', () => resolve({ ok: false, bodyBytes: 0 }));
    stream.on('close', () => {
      const body = Buffer.concat(chunks);
      const frame = unframe(body);
      const answered = status === '0' && frame !== null && frame.message.length > 0;
      if (!answered || !o.check) return resolve({ ok: answered, bodyBytes: body.length });
      const message = frame.compressed ? gunzipSync(frame.message) : frame.message;
      resolve({ ok: call.check(message), bodyBytes: body.length });
    });
    stream.end(o.request);
  });
}

/** How long the call that checks an answer in full may take. */
const CHECK_TIMEOUT_MS = 10_000;

/**
 * The bytes of the answer's body to `call` for a client that accepts no compression (as h2load
 * calls), from one call whose answer is checked in full; throws when that call fails or takes
 * longer than CHECK_TIMEOUT_MS.
 */
export async function answerBytes(baseUrl: string, call: UnaryCall): Promise<number> {
  const session = http2.connect(baseUrl);
  session.on('error', () => {});
  try {
    const answer = await unaryCall(session, call, {
      request: grpcFrame(call.request),
      check: true,
      gzip: false,
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    if (!answer.ok) throw new Error(`${call.path}: the answer before the load failed its check`);
    return answer.bodyBytes;
  } finally {
    session.close();
  }
}

/**
 * Repeats a unary call from `concurrency` loops over one HTTP/2 connection for `seconds`: a
 * closed loop with at most `concurrency` calls in flight, like autocannon's connections. The
 * client is raw HTTP/2 with a pre-encoded request (as h2load is), not a generated client,
 * so that on a small machine the load generator takes as little CPU from the server as it can.
 * The fallback when h2load is not there.
 */
export async function grpcUnaryLoad(o: {
  readonly baseUrl: string;
  readonly concurrency: number;
  readonly seconds: number;
  readonly call: UnaryCall;
}): Promise<GrpcLoadResult> {
  const request = grpcFrame(o.call.request);
  const session = http2.connect(o.baseUrl);
  session.on('error', () => {});
  const latencies = latencyRecorder();
  let ok = 0;
  let failed = 0;
  let calls = 0;
  const call = async () =>
    (await unaryCall(session, o.call, { request, check: calls++ % CHECK_EVERY === 0, gzip: true }))
      .ok;

  const started = performance.now();
  const end = started + o.seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      if (await call()) {
        ok++;
        latencies.record(performance.now() - t);
      } else failed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, loop));
  } finally {
    session.close();
  }
  const ms = performance.now() - started;
  return {
    ok,
    failed,
    seconds: ms / 1000,
    okPerSecond: perSecond(ok, ms),
    latency: latencies.summary(),
    generator: 'node-http2',
  };
}
