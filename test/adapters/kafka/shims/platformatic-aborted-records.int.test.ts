// The pinned @platformatic/kafka keeps records of an aborted transaction whose abort marker is not
// in the same fetch response; the shim drops them. Against the real broker, with fetches so small
// that each holds one record batch.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka';
import { platformaticConnection } from '../../../../src/adapters/kafka/connection.ts';
import { dropAbortedTransactions } from '../../../../src/adapters/kafka/shims/platformatic-aborted-records.ts';
import { ensureTopics } from '../../../../src/adapters/kafka/topics.ts';
import { kafka, uniqueName } from '../../../support/stack.ts';

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
  const topic = uniqueName('aborted-records');
  await ensureTopics(kafka, [{ name: topic, partitions: 1 }]);
  const producer = new Producer({
    clientId: uniqueName('aborted-producer'),
    ...platformaticConnection(kafka),
    idempotent: true,
    acks: ProduceAcks.ALL,
    transactionalId: uniqueName(`aborted-${randomBytes(3).toString('hex')}`),
  });
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

  const unpatched = await readCommitted(topic, 'committed');
  assert.ok(
    unpatched.some((v) => v.startsWith('aborted')),
    `the library alone delivers aborted records (${unpatched.join(', ')}); if no longer, the shim can go`,
  );
  dropAbortedTransactions();
  assert.deepEqual(await readCommitted(topic, 'committed'), ['committed']);
});
