// Helpers of the gRPC tests: the gRPC runtime on an ephemeral port, a Connect client for it, and
// raw HTTP/2 calls for what a well-behaved client would not send.
import http2 from 'node:http2';
import { after, before } from 'node:test';
import type { DescService } from '@bufbuild/protobuf';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { createGrpcRuntime } from '../../../src/apps/grpc/runtime.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { configWith } from '../../support/stack.ts';

export interface TestServer {
  /** host:port, for grpc-js. */
  readonly address: string;
  /** http://host:port, for Connect and raw HTTP/2. */
  readonly baseUrl: string;
  /**
   * A Connect gRPC client of one service, on an HTTP/2 connection of its own. Node buffers at
   * most 10 MB per connection by default; `maxSessionMemoryMb` raises that for large requests.
   */
  client<S extends DescService>(service: S, maxSessionMemoryMb?: number): Client<S>;
  /** Stops the server, also ending the sessions clients left open. */
  close(): Promise<void>;
}

// Errors only, but always: a call that fails as INTERNAL shows its cause in the test output.
const log = createLogger('grpc-test', 'error');

/**
 * The gRPC runtime src/apps/grpc/main.ts starts, on an ephemeral port and the caller's database
 * client; close() ends the sessions clients left open at once.
 */
export async function startServer(sql: Sql): Promise<TestServer> {
  const grpc = await createGrpcRuntime(configWith({}), { sql, log, closeGraceMs: 0 });
  const { host, port } = grpc.address;
  const baseUrl = `http://${host}:${port}`;
  return {
    address: `${host}:${port}`,
    baseUrl,
    client: (service, maxSessionMemoryMb) =>
      createClient(
        service,
        createGrpcTransport({
          baseUrl,
          nodeOptions: maxSessionMemoryMb ? { maxSessionMemory: maxSessionMemoryMb } : {},
        }),
      ),
    close: () => grpc.close(),
  };
}

/**
 * A server for every test of the file: started before them, closed after them together with
 * `sql`. The function returns it once started.
 */
export function serverForFile(sql: Sql): () => TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startServer(sql);
  });
  after(async () => {
    await server?.close();
    await sql.end({ timeout: 5 });
  });
  return () => {
    if (server === undefined) throw new Error('the gRPC test server is not started');
    return server;
  };
}

/** A gRPC call as bytes on the wire: the status the server itself sent, and how long it took. */
export interface RawResult {
  readonly status: number | undefined;
  readonly message: string;
  readonly ms: number;
  /** The response body as sent (envelopes included). */
  readonly body: Buffer;
  /** Response headers and trailers, merged. */
  readonly metadata: http2.IncomingHttpHeaders;
}

/** A gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length. */
export function envelope(message: Uint8Array, announcedLength = message.length): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, announcedLength);
  out.set(message, 5);
  return out;
}

/** Sends one request body to `/<service>/<method>` over HTTP/2 and reads the status trailers. */
export async function rawCall(
  baseUrl: string,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<RawResult> {
  const started = performance.now();
  const session = http2.connect(baseUrl);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc+proto',
      te: 'trailers',
      ...headers,
    });
    const status = new Promise<Omit<RawResult, 'ms'>>((resolve, reject) => {
      let last: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const read = (h: http2.IncomingHttpHeaders) => {
        last = { ...last, ...h };
      };
      stream.on('response', read);
      stream.on('trailers', read);
      stream.on('error', reject);
      stream.on('close', () => {
        const code = last['grpc-status'];
        resolve({
          status: code === undefined ? undefined : Number(code),
          message: decodeURIComponent(String(last['grpc-message'] ?? '')),
          body: Buffer.concat(chunks),
          metadata: last,
        });
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    });
    stream.end(body);
    const result = await status;
    return { ...result, ms: performance.now() - started };
  } finally {
    session.destroy();
  }
}
