import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/provision.ts';
import { perSecond } from '../percentiles.ts';
import type { GrpcLoadResult } from './grpc-load.ts';
import { runTool } from './tools.ts';

interface GhzReport {
  readonly count: number;
  /** Nanoseconds. */
  readonly total: number;
  readonly slowest: number;
  readonly latencyDistribution:
    | readonly { readonly percentage: number; readonly latency: number }[]
    | null;
  readonly statusCodeDistribution: Readonly<Record<string, number>> | null;
  readonly errorDistribution: Readonly<Record<string, number>> | null;
}

/** ghz cancels the calls in flight when its time is up; those are not failures of the server. */
const CUT_AT_THE_END = /code = Canceled|use of closed network connection/;

/**
 * Calls `method` of service.MusicService with ghz: `concurrency` calls in flight over one
 * connection for `seconds`, on one core, the request given as JSON. Only OK answers count.
 */
export async function ghzLoad(
  ghz: string,
  o: {
    readonly baseUrl: string;
    readonly method: string;
    readonly request: object;
    readonly concurrency: number;
    readonly seconds: number;
  },
): Promise<GrpcLoadResult> {
  const out = await runTool(ghz, [
    '--insecure',
    '--proto',
    join(PROJECT_ROOT, 'proto', 'service', 'music.proto'),
    '--call',
    `service.MusicService.${o.method}`,
    '-d',
    JSON.stringify(o.request),
    '-c',
    String(o.concurrency),
    '--connections',
    '1',
    '--cpus',
    '1',
    '-z',
    `${o.seconds}s`,
    // 4 MiB is grpc-go's default; the whole list of a large catalogue is more.
    '--max-recv-message-size',
    '64MiB',
    '-O',
    'json',
    new URL(o.baseUrl).host,
  ]);
  const r = JSON.parse(out) as GhzReport;
  const ok = r.statusCodeDistribution?.OK ?? 0;
  const cut = Object.entries(r.errorDistribution ?? {})
    .filter(([error]) => CUT_AT_THE_END.test(error))
    .reduce((sum, [, n]) => sum + n, 0);
  const ms = r.total / 1e6;
  const at = (p: number) =>
    (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? 0) / 1e6;
  return {
    ok,
    failed: r.count - ok - Math.min(cut, o.concurrency),
    seconds: ms / 1000,
    okPerSecond: perSecond(ok, ms),
    latency: {
      count: ok,
      p50_ms: at(50),
      p90_ms: at(90),
      p99_ms: at(99),
      p999_ms: at(99.9),
      max_ms: r.slowest / 1e6,
    },
    generator: 'ghz',
  };
}
