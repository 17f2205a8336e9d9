// Helpers of the fault tests: a steady trickle of requests that records what each one got, both
// consumers in one group, and reads of what landed.

import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '../../src/adapters/db/client.ts';
import type { GroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import type { Album } from '../../src/domain/album.ts';
import { newTracker, type Running, startConsumer, type Tracker } from '../apps/consumer/support.ts';
import type { Defer } from '../support/cleanup.ts';
import type { RestStack } from '../support/rest-stack.ts';

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

/**
 * Both consumers in one group, each stopped at cleanup before the servers deferred earlier
 * (startConsumer's own hook would come after them).
 */
export function startBothConsumers(
  t: TestContext,
  defer: Defer,
  o: Omit<Parameters<typeof startConsumer>[1], 'client' | 'tracker'>,
): { members: Running[]; tracker: Tracker } {
  const tracker = newTracker();
  const members = (['platformatic', 'confluent'] as const).map((client) => {
    const member = startConsumer(t, { ...o, client, tracker });
    defer(() => member.stop());
    return member;
  });
  return { members, tracker };
}

/**
 * Where the consumers stand, for a failure message: each member's state and records handled,
 * and the consumers' database connections (`applicationName`) with what they wait on.
 */
export async function consumersStanding(
  observer: Sql,
  members: readonly Running[],
  applicationName: string,
): Promise<string> {
  const open = await observer<{ state: string | null; wait: string | null; query: string }[]>`
    select state, wait_event as wait, left(query, 80) as query from pg_stat_activity
    where application_name = ${applicationName}`;
  const states = await Promise.all(
    members.map(async (m) => {
      const ended = await Promise.race([m.outcome, sleep(10, 'running')]);
      return `${m.client}: joined ${m.isJoined()}, handled ${m.handled()}, ${ended === 'running' ? 'running' : `ended: ${String(ended)}`}`;
    }),
  );
  return `${states.join('; ')}; consumer connections: ${JSON.stringify(open)}`;
}

/** Where a group stands, for a failure message: its state, members and each partition's offsets. */
export async function groupStanding(
  probe: GroupProbe,
  groupId: string,
  topic: string,
): Promise<string> {
  const group = await probe.describe(groupId);
  const progress = await probe.progress(groupId, topic);
  const offsets = progress.map(
    (p) => `p${p.partition} ${p.start}..${p.end} committed ${p.committed}`,
  );
  return `group ${group.state} with ${group.members} members; offsets ${offsets.join(', ')}`;
}
