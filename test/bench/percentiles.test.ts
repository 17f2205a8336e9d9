import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyRecorder, perSecond } from '../../bench/percentiles.ts';

test('percentiles of 1..1000 ms are the matching ranks, to HdrHistogram precision', () => {
  const recorder = latencyRecorder();
  // Shuffled, so that the order of recording cannot matter.
  const values = Array.from({ length: 1000 }, (_, i) => ((i * 617) % 1000) + 1);
  for (const v of values) recorder.record(v);
  const s = recorder.summary();
  assert.equal(s.count, 1000);
  const close = (got: number, want: number) =>
    assert.ok(Math.abs(got - want) <= want * 0.001, `${got} is not within 0.1% of ${want}`);
  close(s.p50_ms, 500);
  close(s.p90_ms, 900);
  close(s.p99_ms, 990);
  close(s.p999_ms, 999);
  close(s.max_ms, 1000);
});

test('sub-millisecond latencies keep their microseconds', () => {
  const recorder = latencyRecorder();
  for (let i = 0; i < 99; i++) recorder.record(0.25);
  recorder.record(12.5);
  const s = recorder.summary();
  assert.ok(Math.abs(s.p50_ms - 0.25) < 0.001, `p50 ${s.p50_ms}`);
  assert.ok(Math.abs(s.p99_ms - 0.25) < 0.001, `p99 ${s.p99_ms}`);
  assert.ok(Math.abs(s.max_ms - 12.5) < 0.02, `max ${s.max_ms}`);
});

test('a negative latency (stored before its 202 arrived) counts as 0; nothing recorded is all 0', () => {
  const recorder = latencyRecorder();
  assert.deepEqual(recorder.summary(), {
    count: 0,
    p50_ms: 0,
    p90_ms: 0,
    p99_ms: 0,
    p999_ms: 0,
    max_ms: 0,
  });
  recorder.record(-3);
  assert.equal(recorder.summary().count, 1);
  assert.equal(recorder.summary().max_ms, 0);
});

test('rates are per second of the elapsed milliseconds', () => {
  assert.equal(perSecond(5000, 250), 20_000);
  assert.equal(perSecond(10, 0), 0);
});
