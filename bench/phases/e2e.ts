import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '../../src/adapters/db/client.ts';
import { albumBody } from '../albums.ts';
import { pacedPosts } from '../load/paced-posts.ts';
import { type LatencySummary, latencyRecorder } from '../percentiles.ts';
import type { StoredWatcher } from '../visibility.ts';

export interface EndToEnd {
  readonly latency: LatencySummary;
  /**
   * The part of it inside the pipeline, from the Kafka record's timestamp (set by the REST API's
   * producer) to the upsert's transaction start, both on this machine's clock.
   */
  readonly recordToUpsert: { readonly p50_ms: number; readonly p99_ms: number };
  /** From each POST's start to its 202, before the time above begins. */
  readonly answered: LatencySummary;
  /** Albums per second actually posted and accepted. */
  readonly acceptedPerSecond: number;
  readonly failed: number;
  /** Albums accepted: the work the CPU figures cover. */
  readonly units: number;
}

/**
 * Posts single albums at a steady `perSecond` (open loop) and times each from its 202 to the
 * notification that its row was stored. A row stored before its 202 arrived counts as 0 ms.
 */
export async function measureEndToEnd(o: {
  readonly restUrl: string;
  readonly sql: Sql;
  readonly watcher: StoredWatcher;
  readonly perSecond: number;
  readonly seconds: number;
}): Promise<EndToEnd> {
  const latencies = latencyRecorder();
  const acceptedAt = new Map<number, number>();
  const ids: number[] = [];
  const storedFirst = new Map<number, number>();
  o.watcher.reset((ids, at) => {
    for (const id of ids) {
      const t = acceptedAt.get(id);
      if (t === undefined) storedFirst.set(id, at);
      else {
        latencies.record(at - t);
        acceptedAt.delete(id);
      }
    }
  });
  const sent = await pacedPosts({
    url: `${o.restUrl}/api/v1/album`,
    body: (i) => JSON.stringify(albumBody(i)),
    perSecond: o.perSecond,
    seconds: o.seconds,
    onAccepted: (id, at) => {
      ids.push(id);
      if (storedFirst.delete(id)) latencies.record(0);
      else acceptedAt.set(id, at);
    },
  });
  const deadline = performance.now() + 60_000;
  while (acceptedAt.size > 0 && performance.now() < deadline) await sleep(10);
  o.watcher.reset();
  if (acceptedAt.size > 0)
    throw new Error(`${acceptedAt.size} accepted albums were not stored within 60 s`);
  const [inside] = await o.sql<{ p50: number; p99: number }[]>`
    select percentile_cont(0.5) within group (order by ms) as p50,
           percentile_cont(0.99) within group (order by ms) as p99
    from (select extract(epoch from updated_at - event_time) * 1000 as ms
          from music.albums where id = any(${ids}::int4[])) as t`;
  return {
    latency: latencies.summary(),
    recordToUpsert: { p50_ms: Number(inside?.p50 ?? 0), p99_ms: Number(inside?.p99 ?? 0) },
    answered: sent.answered,
    acceptedPerSecond: sent.accepted / sent.seconds,
    failed: sent.failed,
    units: sent.accepted,
  };
}
