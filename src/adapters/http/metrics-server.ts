// The Prometheus scrape endpoint of a process, on a port of its own: kept off the public API
// port so that clients cannot reach it (loopback by default) and scrapes never meet the API's
// rate limit, access log or route metrics. Plain node:http, as it serves one path.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logger.ts';

/** What the server needs of a prom-client Registry. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServerOptions {
  readonly source: MetricsSource;
  /** METRICS_HOST and METRICS_PORT; port 0 takes any free one. */
  readonly host: string;
  readonly port: number;
  /** METRICS_TOKEN: when set, scrapes must send `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  readonly log: Logger;
}

/** A listening metrics server: where it listens, and how to stop it. */
export interface MetricsServer {
  readonly host: string;
  /** The port the system chose when asked for 0. */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Short timeouts: a scrape is one small GET, and a slow or idle client must not hold sockets.
 * Prometheus keeps its connection between scrapes (every 15–60 s), which an idle close only
 * makes it reopen.
 */
const TIMEOUTS = { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 };

// Hashed first so that the comparison takes the same time whatever the length of the guess.
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether the request carries the token, compared in constant time. */
function authorized(request: IncomingMessage, expected: Buffer | null): boolean {
  if (expected === null) return true;
  const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function answer(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(body);
}

/**
 * Serves `GET /metrics` from `source`. Scrapes that arrive while a collection is under way share
 * its text, so a burst of scrapes runs the collectors (and whatever they ask Kafka) once; this
 * also keeps collectors that reset and refill their gauges from interleaving.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const expected = o.token === undefined ? null : digest(o.token);
  let collecting: Promise<string> | null = null;
  const collect = (): Promise<string> => {
    collecting ??= o.source.metrics().finally(() => {
      collecting = null;
    });
    return collecting;
  };

  const server = createServer(TIMEOUTS, (request, response) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') return answer(response, 404, 'Not found: metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return answer(response, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    // Checked before any collecting, so that no unauthorised request costs a collection.
    if (!authorized(request, expected))
      return answer(response, 401, 'A bearer token is required\n', {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    collect().then(
      (text) => answer(response, 200, text, { 'content-type': o.source.contentType }),
      (err: unknown) => {
        o.log.error({ err }, 'metrics: collection failed');
        answer(response, 500, 'Metrics could not be collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/metrics`;
  o.log.info({ url, tokenRequired: expected !== null }, 'metrics served');
  return {
    host: o.host,
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        // A scrape is short: nothing in flight is worth waiting for at shutdown.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
