// The run/close/fail contract both consumer adapters share, without a broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createConsumerLifecycle } from '../../../src/adapters/kafka/consumer-lifecycle.ts';

const silent = pino({ level: 'silent' });

function lifecycle() {
  const calls: string[] = [];
  let finishTeardown: () => void = () => {};
  const life = createConsumerLifecycle(silent, {
    drop: () => calls.push('drop'),
    teardown: (graceful) => {
      calls.push(graceful ? 'teardown graceful' : 'teardown failed');
      return new Promise<void>((resolve) => {
        finishTeardown = resolve;
      });
    },
  });
  return { life, calls, finish: () => finishTeardown() };
}

test('close() stops, tears down once however often called, then settles run()', async () => {
  const { life, calls, finish } = lifecycle();
  let started = 0;
  const run = life.run(() => started++);
  assert.equal(started, 1);
  await assert.rejects(
    life.run(() => started++),
    /already called/,
  );
  const first = life.close();
  const second = life.close();
  assert.equal(life.stopping, true);
  assert.equal(life.closing, true);
  finish();
  await Promise.all([first, second, run]);
  assert.equal(life.closing, false);
  assert.deepEqual(calls, ['drop', 'teardown graceful']);
});

test('a failure tears down once and rejects run() with the first error; close() adds nothing', async () => {
  const { life, calls, finish } = lifecycle();
  const run = life.run(() => {});
  life.fail(new Error('broker gone'));
  life.fail(new Error('and again'));
  const closed = life.close(); // while the failure's teardown is under way
  finish();
  await assert.rejects(run, /broker gone/);
  await closed;
  await life.close();
  assert.deepEqual(calls, ['drop', 'teardown failed']);
});

test('an error while closing is part of closing: run() still resolves', async () => {
  const { life, calls, finish } = lifecycle();
  const run = life.run(() => {});
  const closed = life.close();
  life.fail(new Error('joinGroup failed'));
  finish();
  await closed;
  await run;
  assert.deepEqual(calls, ['drop', 'teardown graceful']);
});
