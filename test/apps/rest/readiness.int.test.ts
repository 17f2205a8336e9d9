// /readyz's verdicts from each answer the cluster can give about the consumer group.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GroupProbe, GroupState } from '../../../src/adapters/kafka/group-probe.ts';
import { createReadiness } from '../../../src/apps/rest/readiness.ts';
import { testSql } from '../../support/stack.ts';

const sql = testSql();
after(() => sql.end({ timeout: 5 }));

/** A probe whose describe() answers `state`, or fails as an unreachable broker does. */
function probe(state: GroupState | Error): GroupProbe {
  const unused = () => Promise.reject(new Error('not asked here'));
  return {
    describe: () => (state instanceof Error ? Promise.reject(state) : Promise.resolve(state)),
    progress: unused,
    endOffsets: unused,
    close: () => Promise.resolve(),
  };
}

test('a stable group with members is ready; PostgreSQL and Kafka answer', async () => {
  const ready = await createReadiness(
    sql,
    probe({ state: 'Stable', members: 2, hosts: ['a', 'b'] }),
    'g',
    0,
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
    { state: 'PreparingRebalance', members: 2, hosts: ['a', 'b'] },
    { state: 'Stable', members: 0, hosts: [] },
  ]) {
    const ready = await createReadiness(sql, probe(state), 'g', 0)();
    assert.equal(ready.ready, false, state.state);
    assert.equal(ready.checks.kafka?.ok, true, state.state);
    assert.equal(ready.checks.consumers?.ok, false, state.state);
    assert.match(ready.checks.consumers?.detail ?? '', new RegExp(`with ${state.members} member`));
  }
});

test('a broker that does not answer fails Kafka and the consumers with its error', async () => {
  const ready = await createReadiness(sql, probe(new Error('connect ECONNREFUSED')), 'g', 0)();
  assert.equal(ready.ready, false);
  assert.equal(ready.checks.postgres?.ok, true);
  assert.deepEqual(ready.checks.kafka, { ok: false, detail: 'connect ECONNREFUSED' });
  assert.deepEqual(ready.checks.consumers, ready.checks.kafka);
});
