import type http2 from 'node:http2';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { DescMessage, DescMethodUnary, MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { createMethodSerializationLookup } from '@connectrpc/connect/protocol';
import { parseTimeout, setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { type GenerationCache, untilAborted } from '../../shared/generation-cache.ts';
import { toConnectError } from './status.ts';

const gzip = promisify(gzipCallback);

type NodeHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** What a handler uses of its call: the signal of its deadline and of the client going away. */
export interface CallContext {
  readonly signal: AbortSignal;
}

/** A unary method the fast path answers, with its types erased behind bytes in, message out. */
export interface FastRoute {
  readonly path: string;
  call(request: Uint8Array, context: CallContext): Promise<Uint8Array>;
}

/** The most a request and a response message may have, in bytes, as Connect's options say. */
export interface MessageLimits {
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/**
 * `handle` as a fast route, parsing and serializing exactly as Connect does (same errors too).
 * With `cache`, encoded answers are kept by request bytes until the data changes (see
 * createGenerationCache: a call never misses a change the process has heard of).
 */
export function fastRoute<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  handle: (request: MessageShape<I>, context: CallContext) => Promise<MessageShape<O>>,
  limits: MessageLimits,
  cache?: GenerationCache<Uint8Array>,
): FastRoute {
  const serialization = createMethodSerializationLookup(method, undefined, undefined, limits);
  const input = serialization.getI(true);
  const output = serialization.getO(true);
  const path = `/${method.parent.typeName}/${method.name}`;
  return {
    path,
    call(bytes, context) {
      const answer = async (signal: AbortSignal) =>
        output.serialize(await handle(input.parse(bytes), { signal }));
      if (cache === undefined) return answer(context.signal);
      // Requests are a few bytes (ids, page tokens): latin1 keeps each byte as one character.
      const key = `${path}\n${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')}`;
      return cache.get(key, answer, context.signal);
    },
  };
}

export interface FastPathOptions extends MessageLimits {
  /** Responses at least this large go gzipped to clients that accept gzip. */
  readonly compressMinBytes: number;
}

/**
 * Plain gRPC unary calls (binary, uncompressed request) to `routes`, answered without Connect's
 * streaming pipeline; every other request goes to `next`, the Connect handler. Connect runs each
 * unary call through a chain of down-levelled async generators and abort controllers. For the
 * same 50-album ListAlbums page from memory, bench/grpc-floor.ts measured 530 µs of server CPU
 * per call through Connect, 156 µs through this path and 41 µs for a bare HTTP/2 server: this
 * path adds about a quarter of what Connect adds (docs/benchmarks.md). It speaks the same
 * protocol with Connect's own helpers (timeouts, statuses with details), and calls the same
 * handlers, so answers are the same byte for byte.
 */
export function withUnaryFastPath(
  routes: readonly FastRoute[],
  options: FastPathOptions,
  next: NodeHandler,
): NodeHandler {
  const byPath = new Map(routes.map((r) => [r.path, r]));
  return (req, res) => {
    const route = byPath.get(req.url);
    if (
      route === undefined ||
      req.method !== 'POST' ||
      !isGrpcProto(req.headers['content-type']) ||
      !isIdentity(req.headers['grpc-encoding'])
    ) {
      next(req, res);
      return;
    }
    void serve(route, req, res, options);
  };
}

function isGrpcProto(contentType: string | undefined): boolean {
  const type = contentType?.toLowerCase();
  return type === 'application/grpc' || type === 'application/grpc+proto';
}

function isIdentity(encoding: string | string[] | undefined): boolean {
  return encoding === undefined || encoding === 'identity';
}

async function serve(
  route: FastRoute,
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  o: FastPathOptions,
): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  let timer: NodeJS.Timeout | undefined;
  let answered = false;
  let gone = false;
  // A client that goes away cancels the call, and with it the call's SQL.
  res.once('close', () => {
    gone = true;
    if (!answered) controller.abort(new ConnectError('the client cancelled', Code.Canceled));
  });
  try {
    const timeout = parseTimeout(header(req, 'grpc-timeout'), Number.MAX_SAFE_INTEGER);
    if (timeout.error) throw timeout.error;
    if (timeout.timeoutMs !== undefined) {
      timer = setTimeout(
        () => controller.abort(new ConnectError('the operation timed out', Code.DeadlineExceeded)),
        timeout.timeoutMs,
      );
    }
    const body = await readMessage(req, o.readMaxBytes, signal);
    const answer = await untilAborted(route.call(body, { signal }), signal);
    const compress =
      answer.length >= o.compressMinBytes && accepts(header(req, 'grpc-accept-encoding'), 'gzip');
    const framed = await frame(answer, compress);
    answered = true;
    if (gone) return;
    res.writeHead(200, {
      'content-type': 'application/grpc+proto',
      'grpc-accept-encoding': 'gzip,br',
      ...(compress ? { 'grpc-encoding': 'gzip' } : {}),
    });
    res.addTrailers({ 'grpc-status': '0' });
    res.end(framed);
  } catch (err: unknown) {
    answered = true;
    if (gone) return;
    // Headers, no message, and the status in the trailers: what Connect sends for a failed call.
    const trailer = setTrailerStatus(new Headers(), toConnectError(err));
    res.writeHead(200, { 'content-type': 'application/grpc+proto' });
    res.addTrailers(Object.fromEntries(trailer));
    res.end();
  } finally {
    clearTimeout(timer);
  }
}

function header(req: http2.Http2ServerRequest, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function accepts(list: string | null, encoding: string): boolean {
  return list?.split(',').some((e) => e.trim() === encoding) ?? false;
}

/**
 * The request's one message. A length prefix above `maxBytes` is refused before the rest is
 * read; a compressed flag (no encoding was agreed), a body cut short, or a second message are
 * protocol errors, with Connect's codes.
 */
function readMessage(
  req: http2.Http2ServerRequest,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let expected = -1;
    const fail = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (expected < 0 && size >= 5) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        if (head[0] !== 0) {
          fail(
            new ConnectError(
              'received compressed envelope, but do not know how to decompress',
              Code.Internal,
            ),
          );
          return;
        }
        expected = head.readUInt32BE(1);
        if (expected > maxBytes) {
          fail(
            new ConnectError(
              `message size ${expected} is larger than configured readMaxBytes ${maxBytes}`,
              Code.ResourceExhausted,
            ),
          );
          return;
        }
      }
      if (expected >= 0 && size > 5 + expected) {
        fail(
          new ConnectError(
            'protocol error: received extra input message for unary method',
            Code.Unimplemented,
          ),
        );
      }
    };
    const onEnd = () => {
      cleanup();
      if (size === 0) {
        reject(
          new ConnectError(
            'protocol error: missing input message for unary method',
            Code.Unimplemented,
          ),
        );
      } else if (expected < 0 || size < 5 + expected) {
        reject(new ConnectError('protocol error: incomplete envelope', Code.InvalidArgument));
      } else {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        resolve(body.subarray(5));
      }
    };
    const onAbort = () => fail(signal.reason);
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', fail);
      signal.removeEventListener('abort', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', fail);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Kept answers are the same bytes call after call: each is framed (and compressed) once, for as
// long as it is kept.
const framedPlain = new WeakMap<Uint8Array, Buffer>();
const framedGzip = new WeakMap<Uint8Array, Promise<Buffer>>();

/** The answer as the response body: one message, gzipped when `compress`. */
function frame(answer: Uint8Array, compress: boolean): Promise<Buffer> | Buffer {
  if (compress) {
    let zipped = framedGzip.get(answer);
    if (zipped === undefined) {
      zipped = gzip(answer).then((z) => envelope(z, true));
      framedGzip.set(answer, zipped);
    }
    return zipped;
  }
  let plain = framedPlain.get(answer);
  if (plain === undefined) {
    plain = envelope(answer, false);
    framedPlain.set(answer, plain);
  }
  return plain;
}

/** A gRPC length-prefixed message: flag byte (1 when compressed), 4-byte big-endian length. */
function envelope(message: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}
