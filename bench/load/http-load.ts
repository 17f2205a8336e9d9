import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { type LatencySummary, latencyRecorder, perSecond } from '../percentiles.ts';
import { type Generator, onPath } from './tools.ts';
import { wrkLoad, wrkScript } from './wrk.ts';

export interface HttpLoadOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: string;
  /** Concurrent connections, each with one request in flight (closed loop). */
  readonly connections: number;
  readonly seconds: number;
  /** The status a request must be answered with to count. */
  readonly okStatus: number;
}

export interface HttpLoadResult {
  /** Requests answered with the expected status. */
  readonly ok: number;
  /** Requests answered otherwise, or that failed (timeouts, resets). */
  readonly failed: number;
  readonly seconds: number;
  readonly okPerSecond: number;
  /** Latencies of the requests that counted. */
  readonly latency: LatencySummary;
  /** The program that generated the load. */
  readonly generator: Generator;
}

let wrk: string | null | undefined;

/** wrk's path, when it is installed (Debian's `wrk`, infra/system-packages.txt). */
function findWrk(): string | null {
  if (wrk === undefined) wrk = onPath('wrk');
  return wrk;
}

/**
 * Loads one endpoint with wrk when it is installed (a C client that takes the servers little
 * CPU: autocannon, in this process, spent about 35 µs per single POST), else with autocannon.
 * wrk tells only good (below 400) from bad answers, so it serves loads whose ok status is a 2xx.
 */
export function httpLoad(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const found = o.okStatus >= 200 && o.okStatus < 300 ? findWrk() : null;
  return found ? wrkLoad(found, o, wrkScript(o)) : autocannonLoad(o);
}

/** Runs autocannon against one endpoint; latencies of counted answers go to an HdrHistogram. */
export function autocannonLoad(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const latencies = latencyRecorder();
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        method: o.method,
        body: o.body,
        headers: o.body === undefined ? {} : { 'content-type': 'application/json' },
        connections: o.connections,
        duration: o.seconds,
        timeout: 30,
      },
      (err: unknown, result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const ms = performance.now() - started;
        failed += result.errors;
        resolve({
          ok,
          failed,
          seconds: ms / 1000,
          okPerSecond: perSecond(ok, ms),
          latency: latencies.summary(),
          generator: 'autocannon',
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === o.okStatus) {
        ok++;
        latencies.record(responseTime);
      } else failed++;
    });
  });
}

/** A warm-up of `warmupSeconds` (not counted: the JIT and the pools settle), then the load. */
export async function httpLoadAfterWarmup(
  o: Omit<HttpLoadOptions, 'seconds'>,
  seconds: number,
  warmupSeconds: number,
): Promise<{ readonly warmup: HttpLoadResult | undefined; readonly load: HttpLoadResult }> {
  const warmup = warmupSeconds > 0 ? await httpLoad({ ...o, seconds: warmupSeconds }) : undefined;
  return { warmup, load: await httpLoad({ ...o, seconds }) };
}
