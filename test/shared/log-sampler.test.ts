// The sampler alone, on a clock the test moves: what a flood of one rejection leaves in the logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogSampler, OVERFLOW_KEY } from '../../src/shared/log-sampler.ts';

function sampler(perWindow = 3, windowMs = 10_000, maxKeys?: number) {
  const clock = { now: 1_000_000 };
  const s = new LogSampler<string>({ perWindow, windowMs, maxKeys }, () => clock.now);
  return { s, clock };
}

test('the first perWindow occurrences of a key are admitted, the rest counted', () => {
  const { s } = sampler(3);
  const admitted = Array.from({ length: 10 }, () => s.admit('400 POST /a', 'x'));
  assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
  assert.deepEqual(s.flush(), [], 'nothing is summarised while the window is open');
});

test('each key has its own allowance', () => {
  const { s } = sampler(1);
  assert.equal(s.admit('400 POST /a', 'a'), true);
  assert.equal(s.admit('404 GET (no route)', 'b'), true);
  assert.equal(s.admit('400 POST /a', 'a'), false);
  assert.equal(s.admit('429 POST /a', 'c'), true);
});

test('a window that ended is summarised once, with its count, first sample and span', () => {
  const { s, clock } = sampler(2, 10_000);
  const start = clock.now;
  s.admit('k', 'first');
  for (let i = 0; i < 6; i++) s.admit('k', `later ${i}`);
  clock.now += 9_999;
  assert.deepEqual(s.flush(), []);
  clock.now += 1;
  assert.deepEqual(s.flush(), [
    { key: 'k', sample: 'first', count: 5, from: start, to: start + 10_000 },
  ]);
  assert.deepEqual(s.flush(), [], 'handed out once');
  assert.equal(s.admit('k', 'next'), true, 'a new window admits again');
});

test('a key seen again after its window ended starts a new one and queues the old summary', () => {
  const { s, clock } = sampler(1, 1_000);
  s.admit('k', 'a');
  s.admit('k', 'a');
  s.admit('k', 'a');
  clock.now += 1_500;
  assert.equal(s.admit('k', 'b'), true);
  assert.equal(s.admit('k', 'b'), false);
  const [ended, ...rest] = s.flush();
  assert.equal(ended?.count, 2);
  assert.equal(ended?.to, ended ? ended.from + 1_000 : 0, 'the span ends with the window');
  assert.deepEqual(rest, []);
  clock.now += 1_000;
  assert.deepEqual(
    s.flush().map((e) => [e.sample, e.count]),
    [['b', 1]],
  );
});

test('windows that suppressed nothing leave no summary and are forgotten', () => {
  const { s, clock } = sampler(5, 1_000);
  for (let i = 0; i < 100; i++) s.admit(`key ${i}`, 'x');
  clock.now += 1_000;
  assert.deepEqual(s.flush(), []);
  assert.equal(s.admit('key 0', 'x'), true);
});

test('flush(true) summarises open windows too, as at close', () => {
  const { s, clock } = sampler(1, 10_000);
  s.admit('k', 'x');
  s.admit('k', 'x');
  clock.now += 2_000;
  const [open] = s.flush(true);
  assert.equal(open?.count, 1);
  assert.equal(open?.to, clock.now, 'a window cut short ends now');
});

test('past maxKeys, new keys share one window instead of growing the map', () => {
  const { s } = sampler(2, 10_000, 3);
  for (const key of ['a', 'b', 'c']) s.admit(key, key);
  assert.equal(s.admit('d', 'd'), true);
  assert.equal(s.admit('e', 'e'), true);
  assert.equal(s.admit('f', 'f'), false, 'd, e and f share the overflow window');
  const summaries = s.flush(true);
  assert.deepEqual(
    summaries.map((e) => [e.key, e.count]),
    [[OVERFLOW_KEY, 1]],
  );
});
