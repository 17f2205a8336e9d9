import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latencyRecorder, perSecond } from '../percentiles.ts';
import { type GrpcLoadResult, grpcFrame, type UnaryCall } from './grpc-load.ts';
import { runTool } from './tools.ts';

/** What h2load says of a run, from its text report. */
interface H2loadReport {
  readonly seconds: number;
  /** Calls begun, and calls ended (succeeded or failed) within the duration. */
  readonly started: number;
  readonly done: number;
  /** Ended with a 2xx or 3xx status: to h2load, a gRPC error too. */
  readonly succeeded: number;
  /** Every other ended call; h2load counts `errored` (reset streams) and `timeout` among them. */
  readonly failed: number;
  readonly errored: number;
  /** Bytes of DATA frames received, in flight at the end or not: the gRPC messages only. */
  readonly dataBytes: number;
}

/** Reads h2load's summary ("finished in", "requests:", "traffic:"); throws when a line is missing. */
export function parseH2loadReport(text: string): H2loadReport {
  const finished = /finished in ([\d.]+)(ms|s),/.exec(text);
  const requests =
    /requests: \d+ total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, \d+ timeout/.exec(
      text,
    );
  const traffic = /traffic: .*?, .*?\((\d+)\) data/.exec(text);
  if (finished === null || requests === null || traffic === null)
    throw new Error(`h2load: unexpected report: ${text.slice(0, 500)}`);
  const [started, done, succeeded, failed, errored] = requests.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    seconds: Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1),
    started,
    done,
    succeeded,
    failed,
    errored,
    dataBytes: Number(traffic[1]),
  };
}

/**
 * The calls that surely got their whole answer, and those that surely failed. OK: as many as
 * whole answers arrived in the DATA bytes, less one answer for every call that may have added
 * bytes without ending OK (those still in flight at the end, those reset part-way), and never
 * more than h2load saw succeed; an error-free run is under-counted by at most the calls in flight
 * at the end. Failed: h2load's own, and the succeeded calls for which no whole answer arrived
 * (a gRPC error carries no DATA).
 */
export function countCalls(
  report: H2loadReport,
  answerBytes: number,
): { readonly ok: number; readonly failed: number } {
  const whole = Math.floor(report.dataBytes / answerBytes);
  const unended = report.started - report.done + report.errored;
  return {
    ok: Math.max(0, Math.min(report.succeeded, whole - unended)),
    failed: report.failed + Math.max(0, report.succeeded - whole),
  };
}

/**
 * Calls a unary method with h2load (nghttp2's C load generator, Debian's `nghttp2-client`):
 * `concurrency` streams in flight over one connection on one thread for `seconds`, the request
 * pre-encoded. h2load knows HTTP, not gRPC: a call it counts as succeeded got HTTP 200, which a
 * gRPC error also gets, with no message and its status in the trailers. So `answerBytes` (the
 * answer's whole body, taken and checked in full by a real call first) keeps the count honest:
 * only as many calls count as OK as whole answers arrived (countCalls).
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
    const { ok, failed } = countCalls(report, o.answerBytes);
    // Latencies of the calls that ended with HTTP 200 (columns: start µs, status, µs taken): a
    // gRPC error among them too, which h2load cannot tell apart.
    const latencies = latencyRecorder();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const [, status, micros] = line.split('\t');
      if (status === '200' && micros !== undefined) latencies.record(Number(micros) / 1000);
    }
    return {
      ok,
      failed,
      seconds: report.seconds,
      okPerSecond: perSecond(ok, report.seconds * 1000),
      latency: latencies.summary(),
      generator: 'h2load',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
