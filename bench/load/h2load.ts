import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latencyRecorder, perSecond } from '../percentiles.ts';
import { type GrpcLoadResult, grpcFrame, type UnaryCall } from './grpc-load.ts';
import { runTool } from './tools.ts';

/** What h2load says of a run, from its text report. */
interface H2loadReport {
  readonly seconds: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Bytes of DATA frames received: the gRPC messages, nothing else. */
  readonly dataBytes: number;
}

/** Reads h2load's summary ("finished in", "requests:", "traffic:"); throws when a line is missing. */
export function parseH2loadReport(text: string): H2loadReport {
  const finished = /finished in ([\d.]+)(ms|s),/.exec(text);
  const requests =
    /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      text,
    );
  const traffic = /traffic: .*?, .*?\((\d+)\) data/.exec(text);
  if (finished === null || requests === null || traffic === null)
    throw new Error(`h2load: unexpected report: ${text.slice(0, 500)}`);
  const [, failed = '0', errored = '0', timeout = '0'] = requests.slice(1);
  return {
    seconds: Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1),
    succeeded: Number(requests[1]),
    failed: Number(failed) + Number(errored) + Number(timeout),
    dataBytes: Number(traffic[1]),
  };
}

/**
 * Calls a unary method with h2load (nghttp2's C load generator, Debian's `nghttp2-client`):
 * `concurrency` streams in flight over one connection on one thread for `seconds`, the request
 * pre-encoded. h2load knows HTTP, not gRPC: a call it counts as succeeded got HTTP 200, which a
 * gRPC error also gets, with no message and its status in the trailers. So `answerBytes` (the
 * answer's whole body, taken and checked in full by a real call first) keeps the count honest:
 * only as many calls count as OK as whole answers arrived. A call answered with an error sends
 * no DATA, so every error takes one answer's bytes out of the count.
 */
export async function h2loadLoad(
  h2load: string,
  o: {
    readonly baseUrl: string;
    readonly call: UnaryCall;
    readonly answerBytes: number;
    readonly concurrency: number;
    readonly seconds: number;
  },
): Promise<GrpcLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'music-bench-h2load-'));
  try {
    const body = join(dir, 'request');
    const log = join(dir, 'calls.tsv');
    writeFileSync(body, grpcFrame(o.call.request));
    const out = await runTool(h2load, [
      '-c',
      '1',
      '-t',
      '1',
      '-m',
      String(o.concurrency),
      '-D',
      String(o.seconds),
      '-d',
      body,
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      `--log-file=${log}`,
      `${o.baseUrl}${o.call.path}`,
    ]);
    const report = parseH2loadReport(out);
    const whole = Math.floor(report.dataBytes / o.answerBytes);
    const ok = Math.min(report.succeeded, whole);
    // Latencies of the calls that ended with HTTP 200 (columns: start µs, status, µs taken).
    const latencies = latencyRecorder();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const [, status, micros] = line.split('\t');
      if (status === '200' && micros !== undefined) latencies.record(Number(micros) / 1000);
    }
    return {
      ok,
      failed: report.failed + (report.succeeded - ok),
      seconds: report.seconds,
      okPerSecond: perSecond(ok, report.seconds * 1000),
      latency: latencies.summary(),
      generator: 'h2load',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
