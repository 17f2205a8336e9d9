// Helpers of the cluster fault tests: albums posted through the REST API by a few loops at once,
// a watch on the partitions' in-sync replicas, and the check that every accepted album is in the
// log once and stored with its values.
import assert from 'node:assert/strict';
import type { Sql } from '../../src/adapters/db/client.ts';
import type { KafkaConnection } from '../../src/adapters/kafka/connection.ts';
import type { Album } from '../../src/domain/album.ts';
import { type PartitionState, partitionStates } from '../support/private-cluster.ts';
import type { RestStack } from '../support/rest-stack.ts';
import { waitFor } from '../support/stack.ts';
import { countRecords } from '../support/topic-records.ts';
import { postAlbums, type Sent, steadyLoad, storedAlbums } from './support.ts';

export type Posted = Sent<Awaited<ReturnType<typeof postAlbums>>>;

/**
 * `loops` request loops side by side, each posting `perRequest` albums with new ids every
 * `intervalMs` (a slow answer delays only its own loop): loops × perRequest × 1000 / intervalMs
 * albums a second while the API keeps up.
 */
export function albumLoad(
  app: RestStack['app'],
  ids: readonly number[],
  o: { loops: number; perRequest: number; intervalMs: number; label: string },
): { stop(): Promise<Posted[]>; readonly sent: () => number } {
  let next = 0;
  const loads = Array.from({ length: o.loops }, () =>
    steadyLoad(o.intervalMs, (n) => {
      const batch = ids.slice(next, next + o.perRequest);
      next += o.perRequest;
      if (batch.length < o.perRequest) throw new Error('the load ran out of album ids');
      return postAlbums(
        app,
        batch.map((id) => ({
          id,
          title: `${o.label} ${n} #${id}`,
          artist: 'The Replicas',
          price: (id % 10_000) / 100,
        })),
      );
    }),
  );
  return {
    sent: () => loads.reduce((sum, l) => sum + l.results.length, 0),
    async stop() {
      const all = await Promise.all(loads.map((l) => l.stop()));
      return all.flat().sort((a, b) => a.sentAt - b.sentAt);
    },
  };
}

/** A request of versionedLoad: what it got, and the albums it sent. */
export type VersionPosted = Sent<Awaited<ReturnType<typeof postAlbums>> & { sent: Album[] }>;

/**
 * Like albumLoad, but each loop keeps rewriting its own `perLoop` albums, `perRequest` of them a
 * request, the title naming the request (`v<n>`): the last version accepted is what must stay.
 * One loop's requests go one after the other, so its versions of an album reach the log in
 * order.
 */
export function versionedLoad(
  app: RestStack['app'],
  ids: readonly number[],
  o: { loops: number; perLoop: number; perRequest: number; intervalMs: number; label: string },
): { stop(): Promise<VersionPosted[]>; readonly sent: () => number } {
  const loads = Array.from({ length: o.loops }, (_, loop) => {
    const own = ids.slice(loop * o.perLoop, (loop + 1) * o.perLoop);
    if (own.length < o.perLoop) throw new Error('not enough album ids for the load');
    return steadyLoad(o.intervalMs, async (n) => {
      const from = (n * o.perRequest) % own.length;
      const sent = own.slice(from, from + o.perRequest).map((id) => ({
        id,
        title: `${o.label} #${id} v${n}`,
        artist: 'The Replicas',
        price: ((id + n) % 10_000) / 100,
      }));
      return { ...(await postAlbums(app, sent)), sent };
    });
  });
  return {
    sent: () => loads.reduce((sum, l) => sum + l.results.length, 0),
    async stop() {
      const all = await Promise.all(loads.map((l) => l.stop()));
      return all.flat().sort((a, b) => a.sentAt - b.sentAt);
    },
  };
}

/**
 * Each album's row holds the last version answered 202, or a later one answered 503 (a refused
 * request may still have been written); none went back to an earlier one. Waits up to
 * `timeoutMs` for the consumers; returns how many albums.
 */
export async function assertLatestStored(
  sql: Sql,
  results: readonly VersionPosted[],
  timeoutMs = 120_000,
): Promise<number> {
  // In sending order; one album's versions come from one loop, one request after the other.
  const latest = new Map<number, Album>();
  const maybeLater = new Map<number, Set<string>>();
  for (const r of [...results].sort((a, b) => a.sentAt - b.sentAt)) {
    for (const a of r.value.sent) {
      if (r.value.status === 202) {
        latest.set(a.id, a);
        maybeLater.delete(a.id);
      } else maybeLater.set(a.id, (maybeLater.get(a.id) ?? new Set()).add(a.title));
    }
  }
  const ids = [...latest.keys()];
  let wrong: string[] = [];
  await waitFor(
    `the last accepted version of ${latest.size} albums stored`,
    async () => {
      const stored = await storedAlbums(sql, ids);
      wrong = ids.flatMap((id) => {
        const want = latest.get(id) as Album;
        const got = stored.get(id);
        const right =
          got !== undefined &&
          ((got.title === want.title && got.price === want.price) ||
            maybeLater.get(id)?.has(got.title) === true);
        return right ? [] : [`${id}: want ${want.title}, got ${got?.title ?? 'nothing'}`];
      });
      return wrong.length === 0 ? true : undefined;
    },
    timeoutMs,
  ).catch((err: unknown) => {
    throw new Error(
      `${(err as Error).message}: ${wrong.length} differ, e.g. ${wrong.slice(0, 5).join('; ')}`,
      { cause: err },
    );
  });
  return latest.size;
}

/** A stretch of time during which some partition had fewer than two replicas in sync. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/**
 * Polls the topic's partitions until stopped: the windows in which a partition had fewer than
 * two in-sync replicas (what refuses acks=all writes under min.insync.replicas=2), and the last
 * states seen.
 */
export function watchInSync(
  kafka: KafkaConnection,
  topic: string,
  everyMs = 250,
): { stop(): Promise<Window[]>; last(): readonly PartitionState[] } {
  const windows: Window[] = [];
  let last: PartitionState[] = [];
  let running = true;
  let shortSince: number | null = null;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      // A failed look (the node asked just died) tells nothing: the next one will.
      const states = await partitionStates(kafka, topic).catch(() => null);
      if (states !== null) {
        last = states;
        const short = states.some((p) => p.isr.length < 2);
        if (short && shortSince === null) shortSince = at;
        if (!short && shortSince !== null) {
          windows.push({ from: shortSince, to: at });
          shortSince = null;
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, at + everyMs - Date.now())));
    }
    if (shortSince !== null) windows.push({ from: shortSince, to: Date.now() });
  })();
  return {
    last: () => last,
    async stop() {
      running = false;
      await loop;
      return windows;
    },
  };
}

/** The partition leaders, by how many partitions each one leads, most first. */
export function leadersByCount(states: readonly PartitionState[]): number[] {
  const counts = new Map<number, number>();
  for (const p of states) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([leader]) => leader);
}

/** Counts of the answers, for the test's diagnostics and the reliability matrix. */
export function tally(results: readonly Posted[]): {
  requests: number;
  accepted: number;
  refused: number;
  /** Albums accepted per second over the load's time. */
  rate: number;
  other: string[];
} {
  let accepted = 0;
  let refused = 0;
  const other: string[] = [];
  for (const r of results) {
    if (r.value.status === 202) accepted += r.value.accepted.length;
    else if (r.value.status === 503) refused++;
    else other.push(`${r.value.status} ${r.value.body.slice(0, 200)}`);
  }
  const first = results[0]?.sentAt ?? 0;
  const last = results.at(-1)?.answeredAt ?? first;
  const rate = Math.round((accepted * 1000) / Math.max(1, last - first));
  return { requests: results.length, accepted, refused, rate, other };
}

/** The committed log read from its beginning: which of `ids` it holds more than once, or not. */
async function readBack(topic: string, kafka: KafkaConnection, ids: readonly number[]) {
  const times = new Map<string, number>();
  let ends = '';
  await countRecords(topic, kafka, {
    keys: new Set(ids.map(String)),
    each: (r) => times.set(r.key, (times.get(r.key) ?? 0) + 1),
    ends: (line) => {
      ends = line;
    },
  });
  const twice = [...times].filter(([, n]) => n > 1).map(([key, n]) => `${key}×${n}`);
  const absent = ids.filter((id) => !times.has(String(id)));
  return { twice, absent, ends };
}

/**
 * Every album answered 202 is in the topic's committed log exactly once and stored with its
 * values (waits up to `timeoutMs` for the consumers); returns how many.
 */
export async function assertStoredOnce(
  sql: Sql,
  kafka: KafkaConnection,
  topic: string,
  results: readonly Posted[],
  say: (line: string) => void,
  timeoutMs = 120_000,
): Promise<number> {
  const accepted = new Map<number, Album>();
  for (const r of results) for (const a of r.value.accepted) accepted.set(a.id, a);
  const ids = [...accepted.keys()];
  await waitFor(
    `all ${accepted.size} accepted albums stored`,
    async () => ((await storedAlbums(sql, ids)).size === accepted.size ? true : undefined),
    timeoutMs,
  ).catch(async (err: unknown) => {
    const stored = await storedAlbums(sql, ids);
    const missing = ids.filter((id) => !stored.has(id));
    throw new Error(
      `${(err as Error).message}: ${missing.length} missing, e.g. ${missing.slice(0, 5).join(' ')}`,
      { cause: err },
    );
  });
  assert.deepEqual(await storedAlbums(sql, ids), accepted, 'stored with their values');
  // In the log once: a producer's retry after a leader change must not write an album again.
  let read = await readBack(topic, kafka, ids);
  if (read.absent.length > 0) {
    // Stored by the consumers (who read committed records only), so in the log: a second reader,
    // from the beginning again, tells a reader that skipped records from records that are gone.
    say(
      `${read.absent.length} accepted albums not read back (read to ${read.ends}); reading again`,
    );
    read = await readBack(topic, kafka, ids);
  }
  assert.deepEqual(
    read.twice.slice(0, 10),
    [],
    `${read.twice.length} accepted albums in the log twice`,
  );
  if (read.absent.length > 0) {
    // Say where they lie, committed or not.
    const where: string[] = [];
    let raw = '';
    await countRecords(topic, kafka, {
      uncommitted: true,
      keys: new Set(read.absent.map(String)),
      each: (r) => void where.push(`${r.key}@${r.partition}:${r.offset}`),
      ends: (line) => {
        raw = line;
      },
    });
    assert.fail(
      `${read.absent.length} accepted albums not in the log read committed (read to ` +
        `${read.ends}), e.g. ${read.absent.slice(0, 10).join(' ')}; read uncommitted (to ${raw}), ` +
        `${where.length} of them are there: ${where.slice(0, 20).join(' ')}`,
    );
  }
  return accepted.size;
}
