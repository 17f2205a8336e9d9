import type { Sql } from '../../adapters/db/client.ts';
import type { GroupProbe } from '../../adapters/kafka/group-probe.ts';
import type { Readiness } from './routes/health.ts';

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

/**
 * Readiness of the REST API: PostgreSQL answers, Kafka answers, and the consumer group has
 * members in a stable assignment. Answers are cached briefly so probes cannot load the backends.
 */
export function createReadiness(
  sql: Sql,
  probe: GroupProbe,
  groupId: string,
  cacheMs = 1000,
): () => Promise<Readiness> {
  let cached: { at: number; value: Promise<Readiness> } | null = null;
  const evaluate = async (): Promise<Readiness> => {
    const [postgres, described] = await Promise.all([
      check(async () => {
        await sql`select 1`;
        return 'answers';
      }),
      probe.describe(groupId).then(
        (group) => ({ group }),
        (err: unknown) => ({ error: messageOf(err) }),
      ),
    ]);
    // A group description needs the broker, so a failure to describe means Kafka is down.
    if ('error' in described) {
      const down = { ok: false, detail: described.error };
      return { ready: false, checks: { postgres, kafka: down, consumers: down } };
    }
    const { group } = described;
    const stable = STABLE.has(group.state) && group.members > 0;
    const consumers = {
      ok: stable,
      detail: `group ${groupId} is ${stable ? 'stable' : group.state} with ${group.members} member(s)`,
    };
    return {
      ready: postgres.ok && consumers.ok,
      checks: { postgres, kafka: { ok: true, detail: 'answers' }, consumers },
    };
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) cached = { at: now, value: evaluate() };
    return cached.value;
  };
}
