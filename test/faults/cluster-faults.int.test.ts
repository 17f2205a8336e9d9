// A replicated Kafka under the faults it exists for, on a private three-node cluster (replication
// factor 3, min.insync.replicas 2) that this file starts and removes: albums stream in through
// the REST API while both consumers store them, and a broker is killed, or every broker is
// restarted in turn. Every album answered 202 is in the log once and stored with its values.
import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHORT_OF_REPLICAS_MESSAGE } from '../../src/adapters/kafka/replica-errors.ts';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import { createCloser } from '../../src/shared/closer.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { newTracker, type Running, startConsumer } from '../apps/consumer/support.ts';
import { cleanupStack, type Defer } from '../support/cleanup.ts';
import {
  type PrivateCluster,
  partitionStates,
  privateCluster,
} from '../support/private-cluster.ts';
import { restStack } from '../support/rest-stack.ts';
import { idBlock, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { countRecords } from '../support/topic-records.ts';
import {
  albumLoad,
  assertLatestStored,
  assertStoredOnce,
  leadersByCount,
  type Posted,
  tally,
  versionedLoad,
  type Window,
  watchInSync,
} from './cluster-support.ts';
import { groupStanding, lagOf, postAlbums, startBothConsumers } from './support.ts';

const PARTITIONS = 6;
// Four loops of 50 albums every 200 ms: up to 1,000 albums a second, a few hundred on a busy
// 2-core machine (each loop waits for its answer, one transaction round per answer).
const LOAD = { loops: 4, perRequest: 50, intervalMs: 200 };
// Well above the time a leader change takes (the dead broker's session, 9 s, plus an election,
// plus the transaction coordinator's move), on a machine whose load stretches all of it.
const PRODUCE_TIMEOUT_MS = 30_000;

const closer = createCloser();
const clusterDefer: Defer = (step) => closer.defer(step);
let cluster: PrivateCluster;

before(async () => {
  cluster = await privateCluster(clusterDefer, 'cluster-faults');
});
after(() => closer.close());

/** The REST API and both consumers on a topic of their own on the cluster. */
async function stackOn(defer: Defer, label: string) {
  const topic = uniqueName(label);
  const dlq = `${topic}.dlq`;
  // A node the test before restarted may still be catching up (refusing logins until it has
  // read the credentials, out of the in-sync replicas until it has the log): each test starts
  // on a whole cluster.
  await waitFor(
    'the topics created on a cluster that takes logins',
    () =>
      ensureTopics(cluster.connection, [
        { name: topic, partitions: PARTITIONS },
        { name: dlq, partitions: PARTITIONS },
      ]).then(
        () => true as const,
        () => undefined,
      ),
    120_000,
  );
  await allInSync(topic, 120_000);
  const groupId = uniqueName(`${label}-group`);
  const sql = testSql(4);
  const consumerSql = testSql(4);
  defer(() => sql.end({ timeout: 5 }));
  defer(() => consumerSql.end({ timeout: 5 }));
  // Its warnings and errors, kept to tell why a request was refused.
  const restLines: string[] = [];
  const restLog = createLogger('rest', 'warn', {
    destination: { write: (line: string) => void restLines.push(line) },
  });
  const rest = await restStack({
    sql,
    kafka: cluster.connection,
    topic,
    groupId,
    log: restLog,
    produceTimeoutMs: PRODUCE_TIMEOUT_MS,
  });
  defer(() => rest.close());
  return { topic, dlq, groupId, sql, consumerSql, rest, restLines };
}

type Stack = Awaited<ReturnType<typeof stackOn>>;

/** The 503s that fell in none of the windows (give or take a poll): what each took. */
function refusedOutside(results: readonly Posted[], windows: readonly Window[]): string[] {
  const slack = 2000;
  return results
    .filter((r) => r.value.status === 503)
    .filter((r) => !windows.some((w) => r.answeredAt >= w.from - slack && r.sentAt <= w.to + slack))
    .map((r) => `${new Date(r.sentAt).toISOString()} answered in ${r.answeredAt - r.sentAt} ms`);
}

/** Both consumers in the stack's group, once the broker counts both. */
async function bothConsumers(t: TestContext, defer: Defer, s: Stack): Promise<Running[]> {
  const { members } = startBothConsumers(t, defer, {
    topic: s.topic,
    dlq: s.dlq,
    groupId: s.groupId,
    sql: s.consumerSql,
    batchSize: 200,
    kafka: cluster.connection,
  });
  await waitFor(
    'both consumers in the group',
    async () =>
      members.every((m) => m.isJoined()) && (await s.rest.probe.describe(s.groupId)).members === 2
        ? true
        : undefined,
    60_000,
  );
  return members;
}

/** Until every partition of the topic has its three replicas in sync. */
function allInSync(topic: string, timeoutMs: number): Promise<true> {
  return waitFor(
    'three replicas in sync',
    async () => {
      const states = await partitionStates(cluster.connection, topic).catch(() => []);
      return states.length > 0 && states.every((p) => p.isr.length === 3) ? true : undefined;
    },
    timeoutMs,
  );
}

/** Until the group is stable with `members` (all joined); says who is missing if not. */
async function stableGroup(s: Stack, members: readonly Running[]): Promise<void> {
  await waitFor(
    `${members.length} consumers in a stable group`,
    async () => {
      const group = await s.rest.probe.describe(s.groupId);
      return group.state === 'Stable' &&
        group.members === members.length &&
        members.every((m) => m.isJoined())
        ? true
        : undefined;
    },
    60_000,
  ).catch(async (err: unknown) => {
    const group = await s.rest.probe.describe(s.groupId);
    const states = await Promise.all(
      members.map(async (m) => {
        const ended = await Promise.race([m.outcome, sleep(10, 'running')]);
        return `${m.client}: joined ${m.isJoined()}, handled ${m.handled()}, ${ended === 'running' ? 'running' : `ended: ${String(ended)}`}`;
      }),
    );
    throw new Error(
      `${(err as Error).message}: group ${group.state} with ${group.members}; ${states.join('; ')}`,
    );
  });
}

/** Until the group committed the whole topic; says where it stands if not. */
async function wholeTopicCommitted(s: Stack): Promise<void> {
  await waitFor(
    'the group to commit the whole topic',
    async () => ((await lagOf(s.rest.probe, s.groupId, s.topic)) === 0 ? true : undefined),
    90_000,
  ).catch(async (err: unknown) => {
    throw new Error(
      `${(err as Error).message}: ${await groupStanding(s.rest.probe, s.groupId, s.topic)}`,
      { cause: err },
    );
  });
}

/**
 * What the load got, checked: 202 or 503, and 503 only while fewer than two replicas were in
 * sync (give or take a poll). A leader's death or stop is no excuse: its partitions wait for a
 * new leader (a killed one's broker session, 9 s, and an election) well within the produce
 * deadline (30 s). What the REST API logged is said with the counts.
 */
function checkAnswers(
  t: TestContext,
  s: Stack,
  results: readonly Posted[],
  shortOfReplicas: readonly Window[],
) {
  const counts = tally(results);
  assert.deepEqual(counts.other, [], 'only 202 or 503');
  const why = [...new Set(s.restLines.flatMap(errorsOfLine))].slice(0, 10);
  const withReplicas = refusedOutside(results, shortOfReplicas);
  t.diagnostic(
    `${counts.requests} requests: ${counts.accepted} albums accepted (${counts.rate}/s), ${counts.refused} refused with 503, ${withReplicas.length} of them with two replicas in sync (${withReplicas.join('; ') || 'none'}); under two replicas in sync: ${shortOfReplicas.length === 0 ? 'never' : shortOfReplicas.map((w) => `${w.to - w.from} ms`).join(', ')}${why.length > 0 ? `; logged: ${why.join(' | ')}` : ''}`,
  );
  assert.deepEqual(
    withReplicas,
    [],
    `503 only while fewer than two replicas were in sync; logged: ${why.join(' | ')}`,
  );
}

/** The error messages in a log line, its causes' too. */
function errorsOfLine(line: string): string[] {
  const messages: string[] = [];
  const walk = (e: unknown) => {
    if (typeof e !== 'object' || e === null) return;
    const { message, cause, aggregateErrors } = e as Record<string, unknown>;
    if (typeof message === 'string') messages.push(message.slice(0, 200));
    walk(cause);
    if (Array.isArray(aggregateErrors)) for (const a of aggregateErrors) walk(a);
  };
  try {
    walk((JSON.parse(line) as { err?: unknown }).err);
  } catch {
    // Not JSON: nothing to read.
  }
  return messages;
}

test('leader killed under load and started again 20 s later: every 202 in the log once and stored, 503 only under two replicas in sync, the group carries on', {
  timeout: 300_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const s = await stackOn(defer, 'leader-kill');
  const members = await bothConsumers(t, defer, s);
  // A topic that wants all three replicas in sync for a write, to see a refusal for want of them.
  const strict = uniqueName('all-in-sync');
  await ensureTopics(cluster.connection, [
    { name: strict, partitions: 1, configs: { 'min.insync.replicas': '3' } },
  ]);
  const inSync = watchInSync(cluster.connection, s.topic);
  const load = albumLoad(s.rest.app, idBlock(200_000), { ...LOAD, label: 'Leader kill' });
  await sleep(5000);
  const [victim] = leadersByCount(await partitionStates(cluster.connection, s.topic));
  assert.ok(victim !== undefined && victim > 0, 'a leader to kill');
  const killedAt = Date.now();
  await cluster.kill(victim);
  t.diagnostic(`node ${victim} killed after ${load.sent()} requests`);
  await waitFor(
    'the partitions led elsewhere',
    async () => {
      const states = await partitionStates(cluster.connection, s.topic).catch(() => []);
      return states.length > 0 && states.every((p) => p.leader !== victim && p.leader >= 0)
        ? true
        : undefined;
    },
    60_000,
  );
  t.diagnostic(`leaders moved ${Date.now() - killedAt} ms after the kill`);
  // Two replicas in sync, three wanted: the broker refuses, the client hears 503, the log why.
  const strictLines: string[] = [];
  const strictRest = await restStack({
    sql: s.sql,
    kafka: cluster.connection,
    topic: strict,
    log: createLogger('rest', 'warn', {
      destination: { write: (line: string) => void strictLines.push(line) },
    }),
    produceTimeoutMs: 3000,
  });
  defer(() => strictRest.close());
  const refused = await postAlbums(strictRest.app, [
    { title: 'Short of replicas', artist: 'The Replicas', price: 1 },
  ]);
  assert.equal(refused.status, 503, refused.body);
  assert.ok(
    strictLines.some((l) => l.includes(SHORT_OF_REPLICAS_MESSAGE)),
    `the log says why: ${strictLines.flatMap(errorsOfLine).slice(0, 3).join(' | ')}`,
  );
  await sleep(Math.max(0, killedAt + 20_000 - Date.now()));
  const restartAt = Date.now();
  await cluster.start(victim);
  t.diagnostic(`node ${victim} answers again ${Date.now() - restartAt} ms after its start`);
  await allInSync(s.topic, 90_000);
  await sleep(3000);
  const results = await load.stop();
  checkAnswers(t, s, results, await inSync.stop());
  const stored = await assertStoredOnce(s.sql, cluster.connection, s.topic, results, (l) =>
    t.diagnostic(l),
  );
  t.diagnostic(`${stored} albums stored once each`);
  await wholeTopicCommitted(s);
  await stableGroup(s, members);
});

test('every broker restarted in turn under load: nothing lost, nothing written twice, 503 only under two replicas in sync', {
  timeout: 400_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const s = await stackOn(defer, 'rolling');
  const members = await bothConsumers(t, defer, s);
  const inSync = watchInSync(cluster.connection, s.topic);
  const load = albumLoad(s.rest.app, idBlock(400_000), { ...LOAD, label: 'Rolling restart' });
  await sleep(3000);
  for (let id = 1; id <= cluster.size; id++) {
    const at = Date.now();
    // SIGTERM: a controlled shutdown hands its leaderships over before it goes.
    await cluster.stop(id);
    const stopped = Date.now();
    await cluster.start(id);
    await allInSync(s.topic, 120_000);
    t.diagnostic(
      `node ${id}: stopped in ${stopped - at} ms, back in sync ${Date.now() - stopped} ms later`,
    );
  }
  await sleep(3000);
  const results = await load.stop();
  const windows = await inSync.stop();
  // Lost or written twice first: it says more than a 503 would.
  const stored = await assertStoredOnce(s.sql, cluster.connection, s.topic, results, (l) =>
    t.diagnostic(l),
  );
  t.diagnostic(`${stored} albums stored once each`);
  checkAnswers(t, s, results, windows);
  await stableGroup(s, members);
});

/** Joins of the churn test's members, initial forming included: a settled group stays far below. */
const MAX_CHURN_JOINS = 70;

test('four consumers, one stopped or started every 10 s under load: every album stored once, none went back to an earlier version', {
  timeout: 300_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const s = await stackOn(defer, 'churn');
  const tracker = newTracker();
  // Two members of each client, each under a static name it keeps across its restarts.
  const names = ['platformatic', 'platformatic', 'confluent', 'confluent'] as const;
  const slots = names.map((client, i) => ({
    client,
    instance: uniqueName(`churn-${client}-${i}`),
    member: null as Running | null,
  }));
  const start = (slot: (typeof slots)[number]) => {
    const member = startConsumer(t, {
      client: slot.client,
      topic: s.topic,
      dlq: s.dlq,
      groupId: s.groupId,
      sql: s.consumerSql,
      batchSize: 200,
      tracker,
      kafka: cluster.connection,
      groupInstanceId: slot.instance,
    });
    defer(() => member.stop());
    slot.member = member;
  };
  for (const slot of slots) start(slot);
  await waitFor(
    'four consumers in the group',
    async () =>
      slots.every((slot) => slot.member?.isJoined()) &&
      (await s.rest.probe.describe(s.groupId)).members === 4
        ? true
        : undefined,
    90_000,
  );
  let joinsOfStopped = 0;
  const load = versionedLoad(s.rest.app, idBlock(4000), {
    loops: 4,
    perLoop: 1000,
    perRequest: 50,
    intervalMs: 200,
    label: 'Churn',
  });
  // A minute of churn, one change every 10 s: one of each client stopped and started again, then
  // a platformatic member stopped and started again (six changes, the group ends with four).
  const changes = [0, 2, 0, 2, 1, 1];
  for (const index of changes) {
    await sleep(10_000);
    const slot = slots[index];
    assert.ok(slot);
    if (slot.member === null) start(slot);
    else {
      joinsOfStopped += await slot.member.joins();
      await slot.member.stop();
      slot.member = null;
    }
    t.diagnostic(
      `${slot.member === null ? 'stopped' : 'started'} ${slot.client} ${index} after ${load.sent()} requests`,
    );
  }
  await sleep(10_000);
  const results = await load.stop();
  const counts = tally(results);
  assert.deepEqual(counts.other, [], 'only 202 or 503');
  assert.equal(counts.refused, 0, 'no 503: the brokers were up throughout');
  const loadEnd = Date.now();
  const albums = await assertLatestStored(s.sql, results).catch(async (err: unknown) => {
    // Where the group stands: which partitions lag, and what each member last did.
    const members = slots.map((slot) => {
      const m = slot.member;
      if (m === null) return `${slot.client} ${slot.instance}: stopped`;
      const last = m.lastBatchAt() === 0 ? 'none' : `${m.lastBatchAt() - loadEnd} ms`;
      return `${slot.client} ${slot.instance}: joined ${m.isJoined()}, handled ${m.handled()} of partitions ${[...m.partitions].join(',')}, last batch ${last} from the load's end`;
    });
    throw new Error(
      `${(err as Error).message}; ${await groupStanding(s.rest.probe, s.groupId, s.topic)}; ${members.join('; ')}`,
      { cause: err },
    );
  });
  const [{ rows } = { rows: 0 }] = await s.sql<{ rows: number }[]>`
    select count(*)::int as rows from music.albums where artist = 'The Replicas' and title like 'Churn #%'
      and id = any(${[...new Set(results.flatMap((r) => r.value.sent.map((a) => a.id)))]}::int4[])`;
  assert.equal(rows, albums, 'one row per album');
  t.diagnostic(
    `${counts.requests} requests, ${counts.accepted} album versions accepted (${counts.rate}/s); ${albums} albums at their last version; ${tracker.duplicates} of ${tracker.seen.size} records handled twice across rebalances`,
  );
  await wholeTopicCommitted(s);
  // At least once: every committed record reached some member's handler (a member that skipped
  // records when a partition came back would still leave each album's last version stored).
  const missed: string[] = [];
  const records = await countRecords(s.topic, cluster.connection, {
    each: (r) => {
      if (!tracker.seen.has(`${r.partition}:${r.offset}`))
        missed.push(`${r.partition}:${r.offset}`);
    },
  });
  assert.deepEqual(missed.slice(0, 10), [], `${missed.length} of ${records} records never handled`);
  const running = slots.flatMap((slot) => (slot.member === null ? [] : [slot.member]));
  await stableGroup(s, running);
  // Each change is one rebalance (two rounds when partitions move to a newcomer): a group that
  // keeps starting new generations with nothing to change shows here as many more joins.
  let joins = joinsOfStopped;
  for (const m of running) joins += await m.joins();
  t.diagnostic(`${joins} group joins across the members, ${changes.length} membership changes`);
  assert.ok(joins <= MAX_CHURN_JOINS, `${joins} group joins: the group kept rebalancing`);
});
