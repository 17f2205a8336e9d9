// The stall rule on a fake clock: a partition is stalled once its committed offset stayed put for
// a window since records first arrived while they kept arriving; lag alone (commit markers,
// aborted records) is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PartitionProgress } from '../../../src/adapters/kafka/group-probe.ts';
import { createStallWatch, describeStalls } from '../../../src/apps/rest/stall-watch.ts';

const S = 60_000;

function watch() {
  let now = 1_000_000;
  const w = createStallWatch(S, () => now);
  return {
    at(ms: number, progress: readonly PartitionProgress[]) {
      now = 1_000_000 + ms;
      return w.observe(progress).map((s) => s.partition);
    },
  };
}

const p = (partition: number, committed: bigint | null, end: bigint, start = 0n) => ({
  partition,
  start,
  end,
  committed,
});

test('no commit for the window while records arrive: stalled, and named with its lag', () => {
  const w = watch();
  assert.deepEqual(w.at(0, [p(0, 10n, 10n)]), []);
  assert.deepEqual(w.at(20_000, [p(0, 10n, 15n)]), []);
  assert.deepEqual(w.at(79_999, [p(0, 10n, 20n)]), [], 'not before the window is over');
  assert.deepEqual(w.at(80_000, [p(0, 10n, 25n)]), [0], 'a window after the first arrival');
  let now = 0;
  const stalled = createStallWatch(S, () => now);
  stalled.observe([p(4, 10n, 10n)]);
  now = 1000;
  stalled.observe([p(4, 10n, 11n)]);
  now = 61_000;
  const [s] = stalled.observe([p(4, 10n, 30n)]);
  assert.deepEqual(s, { partition: 4, lag: 20n, at: 10n, forMs: 61_000 });
  assert.equal(
    describeStalls('albums', [s as NonNullable<typeof s>]),
    'partition 4 of albums stalled: committed offset 10 unchanged for 61 s while records arrive (lag 20)',
  );
});

test('a commit resets the clock; a consumer that keeps up is never stalled', () => {
  const w = watch();
  for (let t = 0, offset = 0n; t <= 300_000; t += 10_000, offset += 100n)
    assert.deepEqual(w.at(t, [p(0, offset, offset + 150n)]), [], `at ${t}`);
  const v = watch();
  v.at(0, [p(0, 10n, 12n)]);
  v.at(10_000, [p(0, 10n, 20n)]);
  assert.deepEqual(v.at(69_000, [p(0, 11n, 25n)]), [], 'moved by one: not stalled');
  assert.deepEqual(v.at(75_000, [p(0, 11n, 30n)]), []);
  assert.deepEqual(v.at(134_999, [p(0, 11n, 31n)]), []);
  assert.deepEqual(v.at(135_000, [p(0, 11n, 32n)]), [0]);
});

test('lag that does not grow is not a stall: commit markers, aborted records, an idle topic', () => {
  const w = watch();
  // A transaction's commit marker: the consumer committed 11, the log ends at 12, for hours.
  for (let t = 0; t <= 3_600_000; t += 30_000) assert.deepEqual(w.at(t, [p(0, 11n, 12n)]), []);
  // Aborted records arrived once and were never delivered: flagged at most while arriving.
  const v = watch();
  v.at(0, [p(0, 11n, 12n)]);
  v.at(10_000, [p(0, 11n, 512n)]);
  assert.deepEqual(v.at(65_000, [p(0, 11n, 512n)]), [], 'grew only before the window');
  assert.deepEqual(v.at(600_000, [p(0, 11n, 512n)]), []);
});

test('a stall that stops growing clears; records arriving again bring it back', () => {
  const w = watch();
  w.at(0, [p(0, 5n, 5n)]);
  w.at(1000, [p(0, 5n, 6n)]);
  assert.deepEqual(w.at(61_000, [p(0, 5n, 50n)]), [0]);
  assert.deepEqual(w.at(121_000, [p(0, 5n, 50n)]), [], 'nothing arrived for a window');
  assert.deepEqual(w.at(130_000, [p(0, 5n, 51n)]), [0]);
});

test('a partition never committed counts from the log start; each partition on its own', () => {
  const w = watch();
  w.at(0, [p(0, null, 100n, 40n), p(1, 7n, 7n)]);
  w.at(1000, [p(0, null, 110n, 40n), p(1, 7n, 8n)]);
  assert.deepEqual(w.at(61_000, [p(0, null, 120n, 40n), p(1, 8n, 9n)]), [0]);
  // Readings far apart: growth must be seen twice, a window apart.
  const v = watch();
  v.at(0, [p(2, 3n, 3n)]);
  assert.deepEqual(v.at(300_000, [p(2, 3n, 9n)]), []);
  assert.deepEqual(v.at(310_000, [p(2, 3n, 10n)]), []);
  assert.deepEqual(v.at(360_000, [p(2, 3n, 11n)]), [2]);
});
