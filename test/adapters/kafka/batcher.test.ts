// The batching, commit and rebalance state machine both consumer adapters feed, on fake timers:
// no broker, no Kafka client.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  type Batcher,
  type BatcherOptions,
  createBatcher,
} from '../../../src/adapters/kafka/batcher.ts';
import type { ConsumedMessage } from '../../../src/domain/events.ts';

const record = (partition: number, offset: number): ConsumedMessage => ({
  topic: 't',
  partition,
  offset: BigInt(offset),
  timestamp: 0n,
  key: null,
  value: null,
  headers: new Map(),
});

/** `partition@offset` of each record, to compare batches at a glance. */
const at = (batch: readonly ConsumedMessage[]) => batch.map((m) => `${m.partition}@${m.offset}`);

/** Lets promise callbacks run (the handler's and the commit's awaits). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether batcher.idle() has resolved by now. */
function watchIdle(batcher: Batcher): () => boolean {
  let idle = false;
  void batcher.idle().then(() => {
    idle = true;
  });
  return () => idle;
}

interface Held {
  readonly batch: readonly ConsumedMessage[];
  resolve(): void;
  reject(err: Error): void;
}

/**
 * A batcher with batchSize 3 and batchWaitMs 100 on fake timers, holding partitions 0 and 1.
 * Its handler keeps each batch until the test resolves or rejects it; commits are recorded.
 */
function setup(t: TestContext, overrides: Partial<BatcherOptions> = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const held: Held[] = [];
  const commits: string[][] = [];
  const failures: unknown[] = [];
  const flow: string[] = [];
  const batcher = createBatcher({
    batchSize: 3,
    batchWaitMs: 100,
    commit: async (offsets) => {
      commits.push([...offsets].map(([p, o]) => `${p}@${o}`));
    },
    fail: (e) => failures.push(e),
    pause: () => flow.push('pause'),
    resume: () => flow.push('resume'),
    ...overrides,
  });
  batcher.start((batch) => {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    held.push({ batch, resolve, reject });
    return promise;
  });
  batcher.assign([0, 1]);
  const push = (partition: number, ...offsets: number[]) => {
    for (const o of offsets) batcher.push(record(partition, o));
  };
  /** Revokes; released() counts the times the partitions were handed back to the client. */
  let released = 0;
  const revoke = (lost: boolean) =>
    batcher.revoke(lost, () => {
      released++;
    });
  return { batcher, held, commits, failures, flow, push, revoke, released: () => released };
}

test('a batch leaves when it holds batchSize records, and the client pauses while it is full', async (t) => {
  const { held, commits, flow, push } = setup(t);
  push(0, 0, 1);
  assert.equal(held.length, 0);
  push(1, 0);
  assert.equal(held.length, 1);
  assert.deepEqual(at(held[0]?.batch ?? []), ['0@0', '0@1', '1@0']);
  assert.deepEqual(flow, ['pause', 'resume'], 'paused when full, resumed once handed out');
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@2', '1@1']], 'the next offset to read per partition');
});

test('a batch leaves batchWaitMs after its first record, however few it holds', async (t) => {
  const { batcher, held, push } = setup(t);
  assert.equal(batcher.dueInMs(), null);
  push(0, 0);
  t.mock.timers.tick(60);
  push(0, 1);
  assert.equal(batcher.dueInMs(), 40, 'counted from the first record');
  assert.equal(batcher.room(), 1);
  t.mock.timers.tick(39);
  assert.equal(held.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(at(held[0]?.batch ?? []), ['0@0', '0@1']);
  assert.equal(batcher.dueInMs(), null);
  assert.equal(batcher.room(), 3);
});

test('one batch at a time: the next one fills meanwhile and leaves when the first is done', async (t) => {
  const { batcher, held, commits, flow, push } = setup(t);
  push(0, 0, 1, 2);
  push(1, 0, 1, 2);
  assert.equal(held.length, 1, 'the second full batch waits');
  assert.equal(batcher.room(), 0);
  assert.deepEqual(flow, ['pause', 'resume', 'pause'], 'the client stays paused');
  push(1, 3); // arrived after the pause: kept for the batch after
  held[0]?.resolve();
  await settle();
  assert.equal(held.length, 2);
  assert.deepEqual(at(held[1]?.batch ?? []), ['1@0', '1@1', '1@2']);
  assert.deepEqual(commits, [['0@3']]);

  // The leftover record's batch is due batchWaitMs after it was left over, but waits its turn.
  t.mock.timers.tick(100);
  assert.equal(held.length, 2);
  held[1]?.resolve();
  await settle();
  assert.deepEqual(at(held[2]?.batch ?? []), ['1@3']);
  assert.deepEqual(commits, [['0@3'], ['1@3']]);
  const idle = watchIdle(batcher);
  await settle();
  assert.equal(idle(), false, 'idle() waits for the batch in flight');
  held[2]?.resolve();
  await settle();
  assert.equal(idle(), true);
});

test('a commit starts only after the handler resolved', async (t) => {
  const { held, commits, push } = setup(t);
  push(0, 5, 6, 7);
  await settle();
  assert.deepEqual(commits, []);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@8']]);
});

test('a handler that rejects commits nothing and stops the batcher with its error', async (t) => {
  const { batcher, held, commits, failures, push } = setup(t);
  push(0, 0, 1, 2);
  push(1, 0);
  const broken = new Error('database gone');
  held[0]?.reject(broken);
  await settle();
  await batcher.idle();
  assert.deepEqual(commits, []);
  assert.deepEqual(failures, [broken]);
  t.mock.timers.tick(1000);
  push(1, 1, 2, 3);
  assert.equal(held.length, 1, 'no batch after the failure, waiting records dropped');
});

test('a commit that rejects stops the batcher like a handler', async (t) => {
  const refused = new Error('KafkaConsumer is disconnected');
  const { held, failures, push } = setup(t, { commit: () => Promise.reject(refused) });
  push(0, 0, 1, 2);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(failures, [refused]);
});

test('a rejoin drops waiting records of lost partitions and re-deliveries of kept ones', async (t) => {
  const { batcher, held, commits, push } = setup(t);
  push(0, 0, 1, 2); // in flight
  push(0, 3);
  push(1, 0);
  batcher.assign([0, 2]); // partition 1 went to another member, 2 came
  push(0, 1, 2); // re-fetched from the committed offset: already taken
  push(1, 1); // no longer ours
  push(2, 0);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@3']]);
  t.mock.timers.tick(100);
  assert.deepEqual(at(held[1]?.batch ?? []), ['0@3', '2@0']);
});

test('a rejoin while a batch is in flight commits only the partitions still held', async (t) => {
  const { batcher, held, commits, push } = setup(t);
  push(0, 0);
  push(1, 0, 1);
  batcher.assign([1]);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['1@2']]);
  batcher.assign([0, 1]);
  push(0, 0); // partition 0 again: read from its committed offset, nothing is skipped
  t.mock.timers.tick(100);
  assert.deepEqual(at(held[1]?.batch ?? []), ['0@0']);
});

test('revoked mid-batch: waiting records dropped, the batch in hand commits, then released', async (t) => {
  const { batcher, held, commits, push, revoke, released } = setup(t);
  push(0, 0, 1, 2);
  push(1, 0);
  revoke(false);
  push(1, 1, 2, 3); // still delivered by the client while revoking: ignored
  const idle = watchIdle(batcher);
  await settle();
  assert.equal(released(), 0, 'the group waits for the batch in hand');
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@3']]);
  assert.equal(released(), 1);
  assert.equal(idle(), true);
  t.mock.timers.tick(1000);
  push(0, 3);
  assert.equal(held.length, 1, 'nothing is taken until partitions are assigned again');

  batcher.assign([1]);
  push(1, 0); // read again from the committed offset: the dropped record comes back
  t.mock.timers.tick(100);
  assert.deepEqual(at(held[1]?.batch ?? []), ['1@0']);
});

test('cooperative: one partition revoked mid-batch, the other keeps flowing', async (t) => {
  const { batcher, held, commits, push, released } = setup(t);
  let releasedOne = 0;
  push(0, 0, 1);
  push(1, 0); // the batch in hand: 0@0, 0@1, 1@0
  push(0, 2);
  push(1, 1); // waiting
  batcher.revoke(false, () => {
    releasedOne++;
  }, [1]);
  assert.deepEqual([...batcher.held()], [0, 1], 'held until the batch in hand is done');
  push(1, 2); // still delivered while revoking: not taken
  push(0, 3); // the kept partition's records are taken
  await settle();
  assert.equal(releasedOne, 0, 'the group waits for the batch in hand');
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits[0], ['0@2', '1@1'], 'the batch in hand commits both partitions');
  assert.equal(releasedOne, 1);
  assert.equal(released(), 0);
  assert.deepEqual([...batcher.held()], [0]);
  t.mock.timers.tick(100);
  assert.deepEqual(
    at(held[1]?.batch ?? []),
    ['0@2', '0@3'],
    "partition 1's waiting record dropped",
  );
  push(1, 3);
  held[1]?.resolve();
  await settle();
  assert.deepEqual(commits[1], ['0@4']);
  assert.equal(held.length, 2, 'nothing of the revoked partition is taken');
});

test('cooperative: a lost partition commits nothing of it, the kept one commits', async (t) => {
  const { batcher, held, commits, push } = setup(t);
  push(0, 0, 1);
  push(1, 0);
  batcher.revoke(true, () => {}, [1]);
  held[0]?.resolve();
  await batcher.idle();
  assert.deepEqual(commits, [['0@2']]);
  assert.deepEqual([...batcher.held()], [0]);
});

test('lost mid-batch (session timed out): the batch in hand finishes but commits nothing', async (t) => {
  const { batcher, held, commits, push, revoke, released } = setup(t);
  push(0, 0, 1, 2);
  revoke(true);
  held[0]?.resolve();
  await batcher.idle();
  assert.deepEqual(commits, []);
  assert.equal(released(), 1);
});

test('revoked with nothing in flight: released at once', async (t) => {
  const { batcher, push, revoke, released } = setup(t);
  push(0, 0);
  revoke(false);
  await batcher.idle();
  assert.equal(released(), 1);
});

test('stopped during a batch (close): waiting records dropped, the batch in hand commits', async (t) => {
  const { batcher, held, commits, flow, push } = setup(t);
  push(0, 0, 1, 2);
  push(1, 0);
  batcher.stop();
  push(1, 1, 2, 3);
  t.mock.timers.tick(1000);
  const idle = batcher.idle();
  held[0]?.resolve();
  await idle;
  assert.deepEqual(commits, [['0@3']]);
  assert.equal(held.length, 1, 'no batch after stop()');
  assert.deepEqual(flow, ['pause', 'resume'], 'the client is not resumed once stopped');
});

test('records pushed before start() or of a partition not held are ignored', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let batches = 0;
  const batcher = createBatcher({
    batchSize: 1,
    batchWaitMs: 100,
    commit: async () => {},
    fail: () => {},
  });
  batcher.assign([0]);
  batcher.push(record(0, 0));
  batcher.start(async () => {
    batches++;
  });
  batcher.push(record(1, 0));
  assert.equal(batches, 0);
  batcher.push(record(0, 1));
  assert.equal(batches, 1);
});

test('stepOver commits past markers once idle, beyond the last delivered record, never back', async (t) => {
  const { batcher, held, commits, push } = setup(t);
  const step = (...pairs: [number, number][]) =>
    batcher.stepOver(new Map(pairs.map(([p, o]) => [p, BigInt(o)])));
  batcher.assign([0]);
  push(0, 0, 1);
  step([0, 3]);
  await settle();
  assert.deepEqual(commits, [], 'records wait: their batch commits first');
  t.mock.timers.tick(100);
  step([0, 3]);
  await settle();
  assert.deepEqual(commits, [], 'a batch is in flight');
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@2']]);

  step([0, 3], [1, 7]);
  await settle();
  assert.deepEqual(commits, [['0@2'], ['0@3']], 'the marker at 2 stepped over; 1 is not held');
  step([0, 3]);
  step([0, 1]);
  await settle();
  assert.equal(commits.length, 2, 'neither the same offset again nor one behind it');
  push(0, 2);
  t.mock.timers.tick(100);
  assert.equal(held.length, 1, 'a record below the stepped-over offset is a re-delivery');
});

test('stepOver commits past markers for a partition given back after its last record', async (t) => {
  const { batcher, held, commits, push, revoke } = setup(t);
  push(0, 0, 1);
  t.mock.timers.tick(100);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@2']]);
  // A rebalance after the last record: its position is forgotten with the revoke.
  revoke(false);
  await settle();
  batcher.assign([0, 1]);
  batcher.stepOver(
    new Map([
      [0, 3n],
      [1, 4n],
    ]),
  );
  await settle();
  assert.deepEqual(commits, [['0@2'], ['0@3', '1@4']], 'the markers read since the assignment');
  batcher.stepOver(
    new Map([
      [0, 3n],
      [1, 4n],
    ]),
  );
  await settle();
  assert.equal(commits.length, 2, 'once');
  push(0, 2);
  t.mock.timers.tick(100);
  assert.equal(held.length, 1, 'a record below the stepped-over offset is a re-delivery');
});

test('stepOver ignores partitions not held and does nothing while revoking or stopped', async (t) => {
  const { batcher, held, commits, push, revoke } = setup(t);
  push(0, 0);
  push(1, 0);
  t.mock.timers.tick(100);
  held[0]?.resolve();
  await settle();
  assert.deepEqual(commits, [['0@1', '1@1']]);
  batcher.assign([1]);
  batcher.stepOver(new Map([[0, 4n]]));
  await settle();
  assert.equal(commits.length, 1, 'partition 0 is no longer held');
  revoke(false);
  batcher.stepOver(new Map([[1, 4n]]));
  await settle();
  assert.equal(commits.length, 1, 'revoked: positions are forgotten');
  batcher.stop();
  batcher.stepOver(new Map([[1, 4n]]));
  await settle();
  assert.equal(commits.length, 1);
});
