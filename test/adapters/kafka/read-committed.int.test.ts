// What a read_committed reader on @platformatic/kafka hands out, with the read_committed filter
// of infra/patch-dependencies.mjs (the Java client's): committed records, and no aborted one,
// however the fetch responses cut the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka';
import { platformaticConnection } from '../../../src/adapters/kafka/connection.ts';
import { ensureTopics } from '../../../src/adapters/kafka/topics.ts';
import { kafka, uniqueName } from '../../support/stack.ts';
import { countRecords } from '../../support/topic-records.ts';

/** A topic of one partition, and a transactional producer. */
async function topicAndProducer(label: string): Promise<{ topic: string; producer: Producer }> {
  const topic = uniqueName(label);
  await ensureTopics(kafka, [{ name: topic, partitions: 1 }]);
  const producer = new Producer({
    clientId: uniqueName(`${label}-producer`),
    ...platformaticConnection(kafka),
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    transactionalId: uniqueName(label),
  });
  return { topic, producer };
}

// One fetch response holding a producer's aborted transaction, its committed ones, then an abort
// of a transaction that wrote nothing to the partition (a transaction cut short by a broker
// restart leaves such markers). The library skipped the producer up to its last abort marker:
// acknowledged albums were never handed to the consumer, whose offsets moved past them.
test('committed transactions between two aborts of one producer are read, the aborted ones not', async (t) => {
  const { topic, producer } = await topicAndProducer('read-committed');
  t.after(() => producer.close());
  const records = (label: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      topic,
      partition: 0,
      key: Buffer.from(`${label}-${i}`),
      value: Buffer.from(label),
    }));

  const aborted = await producer.beginTransaction();
  await aborted.send({ messages: records('aborted', 2) });
  await aborted.abort();
  for (const label of ['committed-a', 'committed-b']) {
    const tx = await producer.beginTransaction();
    await tx.send({ messages: records(label, 3) });
    await tx.commit();
  }
  // The partition joins a transaction that writes nothing to it and aborts: an abort marker
  // with no records of its own before it.
  const empty = await producer.beginTransaction();
  await empty.addPartitions(await producer.metadata({ topics: [topic] }), records('none', 1));
  await empty.abort();
  const last = await producer.beginTransaction();
  await last.send({ messages: records('committed-c', 1) });
  await last.commit();

  const seen: string[] = [];
  await countRecords(topic, kafka, { each: (r) => void seen.push(r.key) });
  assert.deepEqual(seen, [
    ...['committed-a', 'committed-b'].flatMap((label) => [0, 1, 2].map((i) => `${label}-${i}`)),
    'committed-c-0',
  ]);
});

/** The values a read_committed consumer fetching one batch at a time reads, until `last`. */
async function readCommitted(topic: string, last: string): Promise<string[]> {
  const consumer = new Consumer({
    clientId: uniqueName('aborted-reader'),
    groupId: uniqueName('aborted'),
    ...platformaticConnection(kafka),
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxBytes: 1,
    maxBytesPerPartition: 1,
  });
  const values: string[] = [];
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const timer = setTimeout(() => void stream.close(), 30_000);
    try {
      for await (const m of stream) {
        values.push(m.value.toString());
        if (m.value.toString() === last) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return values;
}

test('records of an aborted transaction never reach a platformatic read_committed consumer', async () => {
  const { topic, producer } = await topicAndProducer('aborted-records');
  try {
    const message = (value: string) => ({ topic, value: Buffer.from(value) });
    const aborted = await producer.beginTransaction();
    // Three sends, three record batches before the abort marker.
    for (const value of ['aborted-1', 'aborted-2', 'aborted-3'])
      await aborted.send({ messages: [message(value)] });
    await aborted.abort();
    const committed = await producer.beginTransaction();
    await committed.send({ messages: [message('committed')] });
    await committed.commit();
  } finally {
    await producer.close();
  }

  // One record batch per fetch: the abort marker is in none of the responses with the records.
  assert.deepEqual(await readCommitted(topic, 'committed'), ['committed']);
});
