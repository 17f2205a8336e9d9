// One partitioner for every producer: an album id sent through the REST API and by
// `music kafka produce --client confluent` (librdkafka) lands on the same partition, Java's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaPartition } from '../../../src/adapters/kafka/partitioner.ts';
import { musicJson } from '../../apps/cli/support.ts';
import { idBlock, readTopic } from '../../support/stack.ts';
import { jsonRequest, PARTITIONS, serviceTopics, startRest } from './support.ts';

test('the REST API and `music kafka produce --client confluent` put one id on the same partition', async (t) => {
  const topics = await serviceTopics('same-partition');
  const { app } = await startRest(t, 'same-partition', topics);
  const ids = idBlock(24);
  const first = ids[0] as number;

  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/albums',
    ...jsonRequest(ids.map((id) => ({ id, title: 'Through REST', artist: 'REST', price: 1 }))),
  });
  assert.equal(res.statusCode, 202, res.body);
  await musicJson(
    ['kafka', 'produce', '--client', 'confluent', '--count', '24', '--first-id', String(first)],
    { KAFKA_TOPIC: topics.topic, KAFKA_DLQ_TOPIC: topics.dlq },
  );

  const records = await readTopic(topics.topic, 48, 60_000);
  assert.equal(records.length, 48);
  const partitionsOf = new Map<string, Set<number>>();
  for (const r of records) {
    const key = r.key?.toString() ?? '';
    partitionsOf.set(key, (partitionsOf.get(key) ?? new Set()).add(r.partition));
  }
  assert.equal(partitionsOf.size, 24, 'both sent each id');
  const wrong = [...partitionsOf].filter(
    ([key, partitions]) =>
      partitions.size !== 1 || !partitions.has(javaPartition(Buffer.from(key), PARTITIONS)),
  );
  assert.deepEqual(wrong, [], "every id on one partition, Java's");
  assert.ok(
    new Set(records.map((r) => r.partition)).size > 1,
    'the ids spread over partitions (else the test proves little)',
  );
});
