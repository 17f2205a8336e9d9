// The shim that gives @platformatic/kafka's messages the broker's time on LogAppendTime topics,
// against the pinned library and the real broker: it fails when the library stops passing Fetch
// responses through its tracing channel, or when the broker's batches change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  stampBrokerTime,
  useBrokerTimestamps,
} from '../../../../src/adapters/kafka/shims/platformatic-log-append-time.ts';
import { BROKER_TIME, ensureTopics } from '../../../../src/adapters/kafka/topics.ts';
import { kafka, produceRaw, readTopic, uniqueName } from '../../../support/stack.ts';

test('only LogAppendTime batches are restamped, every record with the batch maxTimestamp', () => {
  const batch = (attributes: number) => ({
    attributes,
    firstTimestamp: 100n,
    maxTimestamp: 900n,
    records: [{ timestampDelta: 0n }, { timestampDelta: 5n }],
  });
  const broker = batch(0b1000);
  const producer = batch(0);
  stampBrokerTime({ responses: [{ partitions: [{ records: [broker, producer] }, {}] }] });
  assert.equal(broker.firstTimestamp, 900n);
  assert.deepEqual(broker.records, [{ timestampDelta: 0n }, { timestampDelta: 0n }]);
  assert.equal(producer.firstTimestamp, 100n);
  assert.deepEqual(producer.records, [{ timestampDelta: 0n }, { timestampDelta: 5n }]);
  stampBrokerTime(undefined);
});

test("a consumer on a LogAppendTime topic reads the broker's time, not the producer's", async () => {
  const topic = uniqueName('log-append-time');
  await ensureTopics(kafka, [{ name: topic, partitions: 1, configs: BROKER_TIME }]);
  const before = Date.now();
  const ahead = BigInt(before + 50 * 60_000);
  await produceRaw(topic, [
    { key: '1', value: new Uint8Array([1]), timestamp: ahead },
    { key: '2', value: new Uint8Array([2]), timestamp: ahead - 1000n },
  ]);
  useBrokerTimestamps();
  const records = await readTopic(topic, 2);
  assert.equal(records.length, 2);
  for (const r of records) {
    const at = Number(r.timestamp);
    assert.ok(
      at >= before - 60_000 && at <= Date.now() + 60_000,
      `timestamp ${at} is the broker's`,
    );
  }
});
