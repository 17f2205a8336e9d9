import { grpcListLoad } from '../load/grpc-load.ts';
import { httpLoadAfterWarmup } from '../load/http-load.ts';
import type { LatencySummary } from '../percentiles.ts';

export interface Reads {
  readonly rps: number;
  readonly latency: LatencySummary;
  readonly failed: number;
  /** Answers counted, warm-up included: the work the CPU figures cover. */
  readonly units: number;
}

export const PAGE_SIZE = 50;

/** GET /api/v1/albums?limit=50 (the REST API on the ORM), closed loop, after a warm-up. */
export async function measureRestList(o: {
  readonly restUrl: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
}): Promise<Reads> {
  const { warmup, load } = await httpLoadAfterWarmup(
    {
      url: `${o.restUrl}/api/v1/albums?limit=${PAGE_SIZE}`,
      method: 'GET',
      connections: o.connections,
      okStatus: 200,
    },
    o.seconds,
    o.warmupSeconds,
  );
  return {
    rps: load.okPerSecond,
    latency: load.latency,
    failed: load.failed,
    units: (warmup?.ok ?? 0) + load.ok,
  };
}

/** gRPC ListAlbums with page_size 50 (raw SQL), closed loop, after a warm-up. */
export async function measureGrpcList(o: {
  readonly grpcUrl: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
}): Promise<Reads> {
  const options = { baseUrl: o.grpcUrl, concurrency: o.concurrency, pageSize: PAGE_SIZE };
  const warmup =
    o.warmupSeconds > 0 ? await grpcListLoad({ ...options, seconds: o.warmupSeconds }) : undefined;
  const load = await grpcListLoad({ ...options, seconds: o.seconds });
  return {
    rps: load.okPerSecond,
    latency: load.latency,
    failed: load.failed,
    units: (warmup?.ok ?? 0) + load.ok,
  };
}
