// The deadline put on Kafka calls that take no AbortSignal (the publisher's sends, the metrics'
// cluster reads), on fake timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDeadline } from '../../../src/adapters/kafka/deadline.ts';

test('settles as the work does when it is on time', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  assert.equal(await withDeadline(Promise.resolve(42), 100, 'late'), 42);
  await assert.rejects(withDeadline(Promise.reject(new Error('refused')), 100, 'late'), /refused/);
});

test('rejects with the message once the time is up, whatever the work does later', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { promise, resolve } = Promise.withResolvers<number>();
  const outcome = withDeadline(promise, 100, 'no acknowledgement within 100 ms');
  t.mock.timers.tick(99);
  let settled = false;
  void outcome.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  await assert.rejects(outcome, { message: 'no acknowledgement within 100 ms' });
  resolve(1);
});

test('leaves no timer behind once the work settled', async () => {
  // Real timers: a pending 60 s timer would keep the event loop, and this test, alive.
  await withDeadline(Promise.resolve(), 60_000, 'late');
  assert.equal(
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    0,
    'no timer pending',
  );
});
