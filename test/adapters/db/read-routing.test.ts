import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { createReadRouting } from '../../../src/adapters/db/read-routing.ts';

type Answer = { in_recovery: boolean; lag_ms: number } | Error;

/** A standby whose lag query answers what `answer` holds at the time; counts its looks. */
function fakeStandby(answer: { current: Answer }) {
  const looks = { count: 0 };
  const sql = {
    unsafe: async () => {
      looks.count++;
      if (answer.current instanceof Error) throw answer.current;
      return [answer.current];
    },
  } as unknown as Sql;
  return { sql, looks };
}

const primary = {} as Sql;

test('reads go to the standby while its lag is within the bound, to the primary beyond it', async () => {
  const answer: { current: Answer } = { current: { in_recovery: true, lag_ms: 120.4 } };
  const { sql: standby } = fakeStandby(answer);
  const routing = createReadRouting(standby, primary, { maxLagMs: 5000 });
  assert.equal((await routing.check()).readsFrom, 'standby');
  assert.equal(routing.reads(), standby);
  assert.match(routing.state().detail, /standby replays 120 ms behind \(bound 5000 ms\)/);
  answer.current = { in_recovery: true, lag_ms: 5001 };
  const behind = await routing.check();
  assert.deepEqual([behind.readsFrom, behind.lagMs], ['primary', 5001]);
  assert.equal(routing.reads(), primary);
});

test('a standby that does not answer sends reads to the primary; a promoted one keeps them', async () => {
  const answer: { current: Answer } = { current: new Error('connect ECONNREFUSED') };
  const { sql: standby } = fakeStandby(answer);
  const routing = createReadRouting(standby, primary, { maxLagMs: 5000 });
  const down = await routing.check();
  assert.deepEqual([down.readsFrom, down.lagMs], ['primary', null]);
  assert.match(down.detail, /ECONNREFUSED/);
  answer.current = { in_recovery: false, lag_ms: 0 };
  const promoted = await routing.check();
  assert.deepEqual([promoted.readsFrom, promoted.inRecovery], ['standby', false]);
  assert.match(promoted.detail, /promoted/);
});

test('reads look at the standby at most once per interval, and a look in flight is shared', async () => {
  let now = 0;
  const answer: { current: Answer } = { current: { in_recovery: true, lag_ms: 0 } };
  const { sql: standby, looks } = fakeStandby(answer);
  const routing = createReadRouting(standby, primary, {
    maxLagMs: 10,
    everyMs: 1000,
    now: () => now,
  });
  await Promise.all([routing.check(), routing.check()]);
  assert.equal(looks.count, 1);
  for (let i = 0; i < 5; i++) routing.reads();
  assert.equal(looks.count, 1, 'no look within the interval');
  now = 1000;
  routing.reads();
  assert.equal(looks.count, 2);
});
