import type { Sql } from '../../adapters/db/client.ts';
import type { ReadRouting } from '../../adapters/db/read-routing.ts';
import type { GroupProbe } from '../../adapters/kafka/group-probe.ts';
import type { Readiness } from './routes/health.ts';
import { createStallWatch, describeStalls } from './stall-watch.ts';

const STABLE = new Set(['Stable', 'STABLE']);

const messageOf = (err: unknown): string =>
  (err instanceof Error ? err.message : '') || String(err);

async function check(work: () => Promise<string>): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await work() };
  } catch (err: unknown) {
    return { ok: false, detail: messageOf(err) };
  }
}

export interface ReadinessOptions {
  /** The consumers' group (KAFKA_GROUP_ID) and its topic (KAFKA_TOPIC). */
  readonly groupId: string;
  readonly topic: string;
  /** A partition whose committed offset stays put this long while records arrive is stalled. */
  readonly stallAfterMs: number;
  /** Probes within this many milliseconds share one answer. */
  readonly cacheMs?: number;
  /** The clock of the cache and the stall rule. */
  readonly now?: () => number;
  /** Reads on a standby: its lag is reported, without deciding readiness (reads fall back). */
  readonly replica?: ReadRouting | null;
}

/**
 * Readiness of the REST API: PostgreSQL answers, Kafka answers, the consumer group has members in
 * a stable assignment, and no partition of its topic is stalled (see stall-watch.ts): albums
 * accepted now would be stored. With a standby, `replica` reports its lag and where reads go;
 * it is not ok while reads are on the primary, but the API is ready all the same. Answers are cached briefly so probes cannot load the backends.
 */
export function createReadiness(
  sql: Sql,
  probe: GroupProbe,
  o: ReadinessOptions,
): () => Promise<Readiness> {
  const { groupId, topic } = o;
  const cacheMs = o.cacheMs ?? 1000;
  const clock = o.now ?? Date.now;
  const stalls = createStallWatch(o.stallAfterMs, clock);
  let cached: { at: number; value: Promise<Readiness> } | null = null;
  const evaluate = async (): Promise<Readiness> => {
    const [replica, postgres, described, progress] = await Promise.all([
      o.replica?.check().then((state) => ({
        replica: { ok: state.readsFrom === 'standby', detail: state.detail },
      })),
      check(async () => {
        // The writer's URL may name a standby too (reached while the primary is gone): albums
        // are stored only once a server that takes writes answers.
        const [row] = await sql<{ standby: boolean }[]>`select pg_is_in_recovery() as standby`;
        if (row?.standby)
          throw new Error('a standby answers, no primary: it takes no writes until promoted');
        return 'answers';
      }),
      probe.describe(groupId).then(
        (group) => ({ group }),
        (err: unknown) => ({ error: messageOf(err) }),
      ),
      check(async () => {
        const stalled = stalls.observe(await probe.progress(groupId, topic));
        if (stalled.length > 0) throw new Error(describeStalls(topic, stalled));
        return `no partition of ${topic} stalled`;
      }),
    ]);
    // A group description needs the broker, so a failure to describe means Kafka is down.
    if ('error' in described) {
      const down = { ok: false, detail: described.error };
      return {
        ready: false,
        checks: { postgres, kafka: down, consumers: down, progress: down, ...replica },
      };
    }
    const { group } = described;
    const stable = STABLE.has(group.state) && group.members > 0;
    const consumers = {
      ok: stable,
      detail: `group ${groupId} is ${stable ? 'stable' : group.state} with ${group.members} member(s)`,
    };
    return {
      ready: postgres.ok && consumers.ok && progress.ok,
      checks: { postgres, kafka: { ok: true, detail: 'answers' }, consumers, progress, ...replica },
    };
  };
  return () => {
    const now = clock();
    if (!cached || now - cached.at > cacheMs) cached = { at: now, value: evaluate() };
    return cached.value;
  };
}
