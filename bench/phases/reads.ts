import type { Sql } from '../../src/adapters/db/client.ts';
import {
  answerBytes,
  type GrpcLoadResult,
  getAlbumListCall,
  grpcUnaryLoad,
  listAlbumsCall,
  type UnaryCall,
} from '../load/grpc-load.ts';
import { h2loadLoad } from '../load/h2load.ts';
import { httpLoadAfterWarmup } from '../load/http-load.ts';
import type { Generator } from '../load/tools.ts';
import type { LatencySummary } from '../percentiles.ts';

export interface Reads {
  readonly rps: number;
  readonly latency: LatencySummary;
  readonly failed: number;
  /** Answers counted, warm-up included: the work the CPU figures cover. */
  readonly units: number;
  /** The program that generated the load. */
  readonly generator: Generator;
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
    generator: load.generator,
  };
}

interface GrpcReadOptions {
  readonly grpcUrl: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
  /** h2load's path, or null for the in-process generator. */
  readonly h2load: string | null;
}

/**
 * A unary call in a closed loop after a warm-up, with h2load when there is one. The answer is
 * checked in full before the load and after it (h2load sees HTTP, not gRPC: see h2loadLoad).
 */
async function grpcReads(o: GrpcReadOptions, call: UnaryCall): Promise<Reads> {
  const { h2load } = o;
  const run = async (seconds: number): Promise<GrpcLoadResult> => {
    const load = { baseUrl: o.grpcUrl, concurrency: o.concurrency, seconds, call };
    if (h2load === null) return grpcUnaryLoad(load);
    const bytes = await answerBytes(o.grpcUrl, call);
    const result = await h2loadLoad(h2load, { ...load, answerBytes: bytes });
    // The count assumed one answer all along: the same page, of the same size, after the load.
    const after = await answerBytes(o.grpcUrl, call);
    if (after !== bytes)
      throw new Error(
        `${call.path}: the answer was ${bytes} bytes before the load, ${after} after`,
      );
    return result;
  };
  const warmup = o.warmupSeconds > 0 ? await run(o.warmupSeconds) : undefined;
  const load = await run(o.seconds);
  return {
    rps: load.okPerSecond,
    latency: load.latency,
    failed: load.failed,
    units: (warmup?.ok ?? 0) + load.ok,
    generator: load.generator,
  };
}

/** gRPC ListAlbums with page_size 50 (raw SQL), closed loop, after a warm-up. */
export function measureGrpcList(o: GrpcReadOptions): Promise<Reads> {
  return grpcReads(o, listAlbumsCall(PAGE_SIZE));
}

/**
 * The original's GetAlbumList (every album in one message) on a table of exactly `rows` albums:
 * the run's albums are replaced by `rows` of the original's typical size.
 */
export async function measureGetAlbumList(
  sql: Sql,
  rows: number,
  o: GrpcReadOptions,
): Promise<Reads> {
  await sql.begin(async (tx) => {
    await tx`delete from music.albums`;
    await tx`
      insert into music.albums (id, title, artist, price)
      select g, 'Album title number ' || g, 'Artist ' || (g % 97), 9.99
      from generate_series(1, ${rows}::int4) g`;
  });
  return grpcReads(o, getAlbumListCall(rows));
}
