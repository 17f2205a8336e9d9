import type { Sql } from '../../adapters/db/client.ts';
import type { GroupProbe } from '../../adapters/kafka/group-probe.ts';
import type { Readiness } from './routes/health.ts';

const STABLE = new Set(['Stable', 'STABLE']);

async function check(work: () => Promise<string>): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await work() };
  } catch (err) {
    return { ok: false, detail: (err as Error).message || String(err) };
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
    const [postgres, consumers] = await Promise.all([
      check(async () => {
        await sql`select 1`;
        return 'answers';
      }),
      check(async () => {
        const group = await probe.describe(groupId);
        if (!STABLE.has(group.state) || group.members === 0) {
          throw new Error(`group ${groupId} is ${group.state} with ${group.members} member(s)`);
        }
        return `group ${groupId} is stable with ${group.members} member(s)`;
      }),
    ]);
    // A group description needs the broker, so a failure to describe means Kafka is down.
    const kafkaDown = !consumers.ok && !consumers.detail.startsWith('group ');
    const kafka = kafkaDown
      ? { ok: false, detail: consumers.detail }
      : { ok: true, detail: 'answers' };
    return {
      ready: postgres.ok && kafka.ok && consumers.ok,
      checks: { postgres, kafka, consumers },
    };
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) cached = { at: now, value: evaluate() };
    return cached.value;
  };
}
