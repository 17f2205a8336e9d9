// Helpers of the fault tests: a steady trickle of requests that records what each one got, and
// the REST app wired as src/apps/rest/main.ts wires it, on any broker and database.
import { setTimeout as sleep } from 'node:timers/promises';
import { IdAllocator } from '../../src/adapters/db/album-sql.ts';
import type { Sql } from '../../src/adapters/db/client.ts';
import { createAlbumRepository } from '../../src/adapters/db/orm/album-repository.ts';
import { createGroupProbe, type GroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { createPublisher, type Publisher } from '../../src/adapters/kafka/publisher.ts';
import { buildRestApp } from '../../src/apps/rest/app.ts';
import { createReadiness } from '../../src/apps/rest/readiness.ts';
import type { Album } from '../../src/domain/album.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { uniqueName } from '../support/stack.ts';

export interface Sent<T> {
  /** When the request was sent and answered (ms since epoch). */
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly value: T;
}

export interface Load<T> {
  readonly results: readonly Sent<T>[];
  /** Ends the loop after the request in flight; resolves with every result. */
  stop(): Promise<readonly Sent<T>[]>;
}

/**
 * Sends one request every `intervalMs` (never two at once: a slow answer delays the next) until
 * stopped, and keeps what each one got. Bounded: it stops by itself after `maxMs`.
 */
export function steadyLoad<T>(
  intervalMs: number,
  send: (n: number) => Promise<T>,
  maxMs = 300_000,
): Load<T> {
  const results: Sent<T>[] = [];
  let running = true;
  const until = Date.now() + maxMs;
  const loop = (async () => {
    for (let n = 0; running && Date.now() < until; n++) {
      const sentAt = Date.now();
      const value = await send(n);
      results.push({ sentAt, answeredAt: Date.now(), value });
      await sleep(Math.max(0, sentAt + intervalMs - Date.now()));
    }
  })();
  return {
    results,
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}

export interface RestStack {
  readonly app: Awaited<ReturnType<typeof buildRestApp>>;
  readonly probe: GroupProbe;
  close(): Promise<void>;
}

/** The REST app as src/apps/rest/main.ts builds it, with real readiness, on the given servers. */
export async function restStack(o: {
  readonly sql: Sql;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly log: Logger;
  readonly produceTimeoutMs?: number;
}): Promise<RestStack> {
  const publisher: Publisher = createPublisher({
    brokers: o.brokers,
    clientId: uniqueName('fault-rest'),
    timeoutMs: o.produceTimeoutMs ?? 3000,
  });
  const probe = createGroupProbe(o.brokers, uniqueName('fault-probe'));
  const ids = new IdAllocator(o.sql);
  const app = await buildRestApp({
    log: o.log,
    intake: {
      allocateIds: (count) => ids.take(count),
      publish: (messages) => publisher.publish(o.topic, messages),
    },
    albums: createAlbumRepository(o.sql),
    readiness: createReadiness(o.sql, probe, o.groupId, 0),
  });
  return {
    app,
    probe,
    async close() {
      await app.close();
      await publisher.close();
      await probe.close();
    },
  };
}

/** POSTs albums as one batch; the albums the API accepted (with their ids), or none. */
export async function postAlbums(
  app: RestStack['app'],
  albums: readonly Omit<Album, 'id'>[] | readonly Album[],
): Promise<{ status: number; accepted: Album[]; body: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/albums',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(albums),
  });
  return {
    status: res.statusCode,
    accepted: res.statusCode === 202 ? res.json<Album[]>() : [],
    body: res.body,
  };
}

/** The rows of these ids as the API shows albums, by id. */
export async function storedAlbums(sql: Sql, ids: readonly number[]): Promise<Map<number, Album>> {
  const rows = await sql<{ id: number; title: string; artist: string; price: string }[]>`
    select id, title, artist, price::text as price from music.albums where id = any(${ids}::int4[])`;
  return new Map(
    rows.map((r) => [r.id, { id: r.id, title: r.title, artist: r.artist, price: Number(r.price) }]),
  );
}

/** Consumer lag of a group on a topic: records not committed yet, over all partitions. */
export async function lagOf(probe: GroupProbe, groupId: string, topic: string): Promise<number> {
  const progress = await probe.progress(groupId, topic);
  return progress.reduce((sum, p) => sum + Number(p.end - (p.committed ?? p.start)), 0);
}
