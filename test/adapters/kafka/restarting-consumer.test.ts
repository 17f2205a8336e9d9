// restartingConsumer's policy, on members that fail when told to: who is started, when, and
// when it gives up. Real clients failing under a rolling restart: cluster-faults.int.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { restartingConsumer } from '../../../src/adapters/kafka/restarting-consumer.ts';
import type { BatchConsumer } from '../../../src/adapters/kafka/types.ts';
import type { BatchHandler, ConsumedMessage } from '../../../src/domain/events.ts';

const log = pino({ level: 'silent' });
const policy = {
  maxRestarts: 2,
  windowMs: 60_000,
  firstDelayMs: 10,
  maxDelayMs: 40,
  batchWaitMs: 5_000,
};

/** A member whose run() ends when told: fail(e) or close(); deliver() hands it a batch. */
interface Member extends BatchConsumer {
  fail(e: Error): void;
  deliver(batch: readonly ConsumedMessage[]): Promise<void>;
  readonly closed: boolean;
}

function member(): Member {
  let end: (e?: Error) => void = () => {};
  let handler: BatchHandler | undefined;
  let closed = false;
  return {
    client: 'platformatic',
    run(handle) {
      handler = handle;
      return new Promise<void>((resolve, reject) => {
        end = (e) => (e ? reject(e) : resolve());
      });
    },
    async close() {
      closed = true;
      end();
    },
    isJoined: () => handler !== undefined && !closed,
    fail: (e) => end(e),
    deliver: (batch) => (handler ? handler(batch) : Promise.reject(new Error('not running'))),
    get closed() {
      return closed;
    },
  };
}

/** A restarting consumer over members made by member(), each kept in `made` in order. */
function restarting(overrides: Partial<typeof policy> = {}) {
  const made: Member[] = [];
  const consumer = restartingConsumer(
    () => {
      const m = member();
      made.push(m);
      return m;
    },
    log,
    { ...policy, ...overrides },
  );
  return { made, consumer };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await sleep(5);
  }
  assert.fail(`never: ${what}`);
}

test('a failed member is replaced by a new one that takes over delivering', async () => {
  const { made, consumer } = restarting();
  const handled: number[] = [];
  const running = consumer.run(async (batch) => {
    handled.push(batch.length);
  });
  await made[0]?.deliver([]);
  made[0]?.fail(new Error('Cannot find broker with node id 3'));
  await until('a second member runs', () => made[1]?.isJoined() === true);
  assert.equal(consumer.isJoined(), true);
  await made[1]?.deliver([]);
  assert.deepEqual(handled, [0, 0]);
  await consumer.close();
  await running;
  assert.equal(made[1]?.closed, true);
  assert.equal(made.length, 2);
});

test('more failures within the window than the policy allows: run() rejects with the last', async () => {
  const { made, consumer } = restarting();
  const running = consumer.run(async () => {});
  for (let i = 0; i < 3; i++) {
    await until(`member ${i} runs`, () => made[i]?.isJoined() === true);
    made[i]?.fail(new Error(`failure ${i}`));
  }
  await assert.rejects(running, /failure 2/);
  assert.equal(made.length, 3, 'two restarts, then no more');
});

test("the failed member's batch in hand ends before another member starts", async () => {
  const { made, consumer } = restarting();
  const { promise: release, resolve } = Promise.withResolvers<void>();
  const running = consumer.run(() => release);
  const batch = made[0]?.deliver([]);
  made[0]?.fail(new Error('connection closed'));
  await sleep(100);
  assert.equal(made.length, 1, 'no new member while the batch runs');
  resolve();
  await batch;
  await until('a second member runs', () => made[1]?.isJoined() === true);
  await consumer.close();
  await running;
});

test('close() during the wait before a restart ends run() without a new member', async () => {
  const { made, consumer } = restarting({ firstDelayMs: 60_000 });
  const running = consumer.run(async () => {});
  made[0]?.fail(new Error('connection closed'));
  await sleep(20);
  await consumer.close();
  await running;
  assert.equal(made.length, 1);
  assert.equal(consumer.isJoined(), false);
});

test('a batch in hand that never ends holds the next member back only for batchWaitMs', async () => {
  const { made, consumer } = restarting({ batchWaitMs: 200 });
  const running = consumer.run(() => new Promise<void>(() => {}));
  void made[0]?.deliver([]);
  made[0]?.fail(new Error('connection closed'));
  await sleep(100);
  assert.equal(made.length, 1, 'waited for the batch at first');
  await until('a second member runs', () => made[1]?.isJoined() === true);
  await consumer.close();
  await running;
});
