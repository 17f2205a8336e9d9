import { albumBody } from '../albums.ts';
import { httpLoadAfterWarmup } from '../load/http-load.ts';
import type { Generator } from '../load/tools.ts';
import type { LatencySummary } from '../percentiles.ts';
import type { StoredWatcher } from '../visibility.ts';

export interface PostSingle {
  readonly rps: number;
  readonly latency: LatencySummary;
  readonly failed: number;
  /** Requests answered 202, warm-up included: the work the CPU figures cover. */
  readonly units: number;
  readonly generator: Generator;
}

/**
 * Single-album POSTs from `connections` clients (closed loop) for `seconds` after a warm-up;
 * only 202s count, and their latencies go to the histogram. Waits until the albums are stored,
 * so that the next measurement starts on an idle pipeline.
 */
export async function measurePostSingle(o: {
  readonly restUrl: string;
  readonly watcher: StoredWatcher;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
}): Promise<PostSingle> {
  o.watcher.reset();
  const { warmup, load } = await httpLoadAfterWarmup(
    {
      url: `${o.restUrl}/api/v1/album`,
      method: 'POST',
      body: JSON.stringify(albumBody(7)),
      connections: o.connections,
      okStatus: 202,
    },
    o.seconds,
    o.warmupSeconds,
  );
  const accepted = (warmup?.ok ?? 0) + load.ok;
  await o.watcher.waitFor(accepted, 120_000);
  return {
    rps: load.okPerSecond,
    latency: load.latency,
    failed: load.failed,
    units: accepted,
    generator: load.generator,
  };
}
