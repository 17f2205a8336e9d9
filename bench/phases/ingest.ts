import { performance } from 'node:perf_hooks';
import type { Sql } from '../../src/adapters/db/client.ts';
import { batchBody } from '../albums.ts';
import { httpLoad } from '../load/http-load.ts';
import type { Generator } from '../load/tools.ts';
import { perSecond } from '../percentiles.ts';
import type { StoredWatcher } from '../visibility.ts';

export interface Ingest {
  /** Albums per second from the first batch POST to the last of their rows being visible. */
  readonly albumsPerSecond: number;
  /** Albums per second the REST API answered 202 for, while the load ran. */
  readonly acceptedPerSecond: number;
  readonly albums: number;
  readonly batchSize: number;
  /** Seconds from the end of the load until the last accepted album was stored. */
  readonly drainSeconds: number;
  /** Albums accepted and stored: the work the CPU figures cover. */
  readonly units: number;
  readonly generator: Generator;
}

async function albumCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from music.albums`;
  return row?.n ?? 0;
}

/**
 * Batch POSTs of `batchSize` new albums from `connections` clients for `seconds`, then waits
 * until every accepted album is stored: the sustained rate is accepted albums over the time
 * from the first POST to the last row visible, so a pipeline that only accepts fast does not
 * look fast. Checks that the table really gained that many rows.
 */
export async function measureIngest(o: {
  readonly restUrl: string;
  readonly sql: Sql;
  readonly watcher: StoredWatcher;
  readonly seconds: number;
  readonly batchSize: number;
  readonly connections: number;
}): Promise<Ingest> {
  const before = await albumCount(o.sql);
  o.watcher.reset();
  const started = performance.now();
  const load = await httpLoad({
    url: `${o.restUrl}/api/v1/albums`,
    method: 'POST',
    body: batchBody(o.batchSize),
    connections: o.connections,
    seconds: o.seconds,
    okStatus: 202,
  });
  const loadEnded = performance.now();
  const albums = load.ok * o.batchSize;
  await o.watcher.waitFor(albums, 120_000);
  const stored = o.watcher.lastAt();
  const gained = (await albumCount(o.sql)) - before;
  if (gained < albums) throw new Error(`${albums} albums were accepted but ${gained} stored`);
  return {
    albumsPerSecond: perSecond(albums, stored - started),
    acceptedPerSecond: load.okPerSecond * o.batchSize,
    albums,
    batchSize: o.batchSize,
    drainSeconds: Math.max(0, stored - loadEnded) / 1000,
    units: albums,
    generator: load.generator,
  };
}
