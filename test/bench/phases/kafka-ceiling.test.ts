import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProducerPerformance } from '../../../bench/phases/kafka-ceiling.ts';

test("ProducerPerformance's closing line gives the ceiling; progress lines are not it", () => {
  const output = [
    '512345 records sent, 102469.0 records/sec (9.77 MB/sec), 120.5 ms avg latency, 300.0 ms max latency.',
    '1000000 records sent, 123456.789 records/sec (11.77 MB/sec), 95.12 ms avg latency, 400.00 ms max latency, 80 ms 50th, 200 ms 95th, 250 ms 99th, 390 ms 99.9th.',
  ].join('\n');
  assert.deepEqual(parseProducerPerformance(output, 100), {
    records: 1_000_000,
    msgsPerSecond: 123456.789,
    mbPerSecond: 11.77,
    avgLatencyMs: 95.12,
    p99LatencyMs: 250,
    recordBytes: 100,
    units: 1_000_000,
  });
  assert.equal(parseProducerPerformance('Exception in thread "main"', 100), null);
});
