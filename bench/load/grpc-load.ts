import { performance } from 'node:perf_hooks';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { MusicService } from '../../src/gen/service/music_pb.js';
import { type LatencySummary, latencyRecorder, perSecond } from '../percentiles.ts';

export interface GrpcLoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly okPerSecond: number;
  readonly latency: LatencySummary;
}

/**
 * Calls ListAlbums (page_size 50) from `concurrency` loops over one HTTP/2 connection for
 * `seconds`: a closed loop with at most `concurrency` calls in flight, like autocannon's
 * connections.
 */
export async function grpcListLoad(o: {
  readonly baseUrl: string;
  readonly concurrency: number;
  readonly seconds: number;
  readonly pageSize: number;
}): Promise<GrpcLoadResult> {
  const client = createClient(MusicService, createGrpcTransport({ baseUrl: o.baseUrl }));
  const latencies = latencyRecorder();
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + o.seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const page = await client.listAlbums({ pageSize: o.pageSize }, { timeoutMs: 30_000 });
        if (page.albums.length !== o.pageSize)
          throw new Error(`a page held ${page.albums.length} albums, not ${o.pageSize}`);
        ok++;
        latencies.record(performance.now() - t);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const ms = performance.now() - started;
  return {
    ok,
    failed,
    seconds: ms / 1000,
    okPerSecond: perSecond(ok, ms),
    latency: latencies.summary(),
  };
}
