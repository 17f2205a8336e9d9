// /readyz's verdicts from each answer the cluster can give about the consumer group.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  GroupProbe,
  GroupState,
  PartitionProgress,
} from '../../../src/adapters/kafka/group-probe.ts';
import { createReadiness } from '../../../src/apps/rest/readiness.ts';
import type { Readiness } from '../../../src/apps/rest/routes/health.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  log,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { albumOf, produceAlbums, startConsumer } from '../consumer/support.ts';
import { metricValue, parseMetrics } from './prometheus-text.ts';

const sql = testSql();
after(() => sql.end({ timeout: 5 }));

/**
 * A probe whose describe() answers `state`, or fails as an unreachable broker does, and whose
 * progress() answers what `progress` gives (no partitions by default).
 */
function probe(
  state: GroupState | Error,
  progress: () => PartitionProgress[] = () => [],
): GroupProbe {
  const unused = () => Promise.reject(new Error('not asked here'));
  const answer = <T>(value: () => T) =>
    state instanceof Error ? Promise.reject(state) : Promise.resolve(value());
  return {
    describe: () => answer(() => state as GroupState),
    progress: () => answer(progress),
    endOffsets: unused,
    close: () => Promise.resolve(),
  };
}

/** Readiness of group g on topic t, uncached, stalls after 60 s of the given clock. */
const readinessOf = (p: GroupProbe, now?: () => number) =>
  createReadiness(sql, p, {
    groupId: 'g',
    topic: 't',
    stallAfterMs: 60_000,
    cacheMs: 0,
    ...(now ? { now } : {}),
  });

test('a stable group with members is ready; PostgreSQL and Kafka answer', async () => {
  const ready = await readinessOf(
    probe({ state: 'Stable', members: 2, hosts: ['a', 'b'], assigned: [3, 3] }),
  )();
  assert.equal(ready.ready, true);
  assert.deepEqual(ready.checks.kafka, { ok: true, detail: 'answers' });
  assert.deepEqual(ready.checks.consumers, {
    ok: true,
    detail: 'group g is stable with 2 member(s)',
  });
});

test('a rebalancing or empty group is not ready, while Kafka itself answers', async () => {
  for (const state of [
    { state: 'PreparingRebalance', members: 2, hosts: ['a', 'b'], assigned: [3, 3] },
    { state: 'Stable', members: 0, hosts: [], assigned: [] },
  ]) {
    const ready = await readinessOf(probe(state))();
    assert.equal(ready.ready, false, state.state);
    assert.equal(ready.checks.kafka?.ok, true, state.state);
    assert.equal(ready.checks.consumers?.ok, false, state.state);
    assert.match(ready.checks.consumers?.detail ?? '', new RegExp(`with ${state.members} member`));
  }
});

test('a broker that does not answer fails Kafka and the consumers with its error', async () => {
  const ready = await readinessOf(probe(new Error('connect ECONNREFUSED')))();
  assert.equal(ready.ready, false);
  assert.equal(ready.checks.postgres?.ok, true);
  assert.deepEqual(ready.checks.kafka, { ok: false, detail: 'connect ECONNREFUSED' });
  assert.deepEqual(ready.checks.consumers, ready.checks.kafka);
});

test('a stalled partition makes readiness fail, naming it; progress again makes it pass', async () => {
  let now = 0;
  let progress: PartitionProgress[] = [{ partition: 2, start: 0n, end: 10n, committed: 10n }];
  const ready = readinessOf(
    probe({ state: 'Stable', members: 1, hosts: ['a'], assigned: [6] }, () => progress),
    () => now,
  );
  assert.equal((await ready()).ready, true);
  for (const [at, end] of [
    [1000, 11n],
    [30_000, 15n],
  ] as const) {
    now = at;
    progress = [{ partition: 2, start: 0n, end, committed: 10n }];
    assert.equal((await ready()).ready, true, `at ${at} ms`);
  }
  now = 61_000;
  progress = [{ partition: 2, start: 0n, end: 20n, committed: 10n }];
  const stalled = await ready();
  assert.equal(stalled.ready, false);
  assert.equal(stalled.checks.consumers?.ok, true, 'the group itself is fine');
  assert.equal(stalled.checks.progress?.ok, false);
  assert.match(
    stalled.checks.progress?.detail ?? '',
    /^partition 2 of t stalled: committed offset 10 unchanged for 61 s while records arrive \(lag 10\)$/,
  );
  now = 62_000;
  progress = [{ partition: 2, start: 0n, end: 20n, committed: 20n }];
  const moving = await ready();
  assert.equal(moving.ready, true);
  assert.deepEqual(moving.checks.progress, { ok: true, detail: 'no partition of t stalled' });
});

test('a consumer blocked on a batch while albums arrive: /readyz answers 503 within the stall window, and the metric counts the partition', async (t) => {
  const STALL_MS = 3000;
  const defer = cleanupStack(t);
  const { topic, dlq } = await freshTopics('stall', 2);
  const groupId = uniqueName('stall');
  let blocking = false;
  let release: () => void = () => {};
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const member = startConsumer(t, {
    client: 'platformatic',
    topic,
    dlq,
    groupId,
    sql,
    ports: (real) => ({
      ...real,
      store: async (changes) => {
        if (blocking) await blocked;
        return real.store(changes);
      },
    }),
  });
  // Released before the consumer stops (its own hook comes after this stack's).
  defer(() => release());
  const rest = await createRestRuntime(
    configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_GROUP_ID: groupId,
      KAFKA_CLIENT_ID: uniqueName('stall-rest'),
      CONSUMER_STALL_AFTER_MS: STALL_MS,
    }),
    { sql, log, createTopics: false, clusterCacheMs: 0 },
  );
  defer(() => rest.close());
  const readyz = async () => {
    const res = await rest.app.inject({ method: 'GET', url: '/readyz' });
    return { status: res.statusCode, report: res.json<Readiness>() };
  };
  const stalledMetric = async () => {
    const res = await fetch(rest.metricsServer.url);
    return metricValue(parseMetrics(await res.text()), 'music_consumer_stalled_partitions', {
      topic,
    });
  };
  await waitFor(
    'the consumer in the group, /readyz 200',
    async () => (member.isJoined() && (await readyz()).status === 200 ? true : undefined),
    60_000,
  );

  // Albums keep arriving, one every 200 ms, on both partitions.
  const ids = idBlock(1000);
  let sent = 0;
  let producing = true;
  const producer = (async () => {
    while (producing && sent < ids.length) {
      await produceAlbums(topic, [albumOf(ids[sent++] as number, 'stall')]);
      await sleep(200);
    }
  })();
  defer(async () => {
    producing = false;
    await producer;
  });

  // A consumer that keeps up is never reported, however long records keep coming.
  const healthyUntil = Date.now() + 2 * STALL_MS;
  while (Date.now() < healthyUntil) {
    const r = await readyz();
    assert.equal(r.status, 200, JSON.stringify(r.report));
    await sleep(250);
  }
  assert.ok(member.changed() > 0, 'albums were stored meanwhile');
  assert.equal(await stalledMetric(), 0);

  blocking = true;
  const blockedAt = Date.now();
  const down = await waitFor(
    '/readyz to report the stall',
    async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    },
    30_000,
  );
  const reportedIn = Date.now() - blockedAt;
  t.diagnostic(`503 ${reportedIn} ms after the consumer blocked (window ${STALL_MS} ms)`);
  // The window, plus the batch in hand and the readings around it.
  assert.ok(reportedIn < STALL_MS + 4000, `reported ${reportedIn} ms after the block`);
  assert.equal(down.report.checks.consumers?.ok, true, 'the group looks fine: only progress tells');
  assert.match(
    down.report.checks.progress?.detail ?? '',
    new RegExp(`^partition \\d of ${topic} stalled: committed offset \\d+ unchanged`),
  );
  await waitFor('the stalled-partitions gauge', async () =>
    ((await stalledMetric()) ?? 0) >= 1 ? true : undefined,
  );

  blocking = false;
  release();
  await waitFor('/readyz to recover once the consumer moves', async () =>
    (await readyz()).status === 200 ? true : undefined,
  );
});
