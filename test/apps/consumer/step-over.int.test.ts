// An idle group's committed offsets reach the end of the log past transaction markers, also for
// partitions that came to a member after their last record: what a rebalance between a member's
// last batch and its step over the commit marker leaves (a lag of 1 per partition, for good, seen
// once in the cluster fault suite).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import { platformaticConnection } from '../../../src/adapters/kafka/connection.ts';
import { createGroupProbe } from '../../../src/adapters/kafka/group-probe.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import { freshTopics, idBlock, kafka, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import { albumOf, CLIENTS, startConsumer } from './support.ts';

const PARTITIONS = 3;

for (const client of CLIENTS) {
  test(`${client}: a group committed up to the commit markers moves past them with no record to read`, async (t) => {
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`step-over-${client}`, PARTITIONS);
    const producer = new Producer({
      clientId: uniqueName('step-over-producer'),
      ...platformaticConnection(kafka),
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      transactionalId: uniqueName('step-over'),
    });
    t.after(() => producer.close());
    const tx = await producer.beginTransaction();
    await tx.send({
      messages: idBlock(PARTITIONS * 2).map((id, i) => ({
        topic,
        partition: i % PARTITIONS,
        key: Buffer.from(String(id)),
        value: Buffer.from(encodeAlbum(albumOf(id, 'step-over'))),
      })),
    });
    await tx.commit();

    const probe = createGroupProbe(kafka, uniqueName('step-over-probe'));
    t.after(() => probe.close());
    const groupId = uniqueName(`step-over-${client}`);
    // The marker's offset is the last of each partition: the group stands just before it, as a
    // member leaves it that handled the records and lost the partitions before stepping over. The
    // coordinator writes the markers after it answers the commit, so they are waited for.
    const ends = await waitFor(
      'two records and a commit marker in each partition',
      async () => {
        const ends = await probe.endOffsets(topic);
        return [...ends.values()].every((end) => end === 3n) ? ends : undefined;
      },
      10_000,
    );
    const admin = new Admin({
      clientId: uniqueName('step-over-admin'),
      ...platformaticConnection(kafka),
    });
    t.after(() => admin.close());
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        {
          name: topic,
          partitionOffsets: [...ends].map(([partition, end]) => ({ partition, offset: end - 1n })),
        },
      ],
    });

    const running = startConsumer(t, { client, topic, dlq, groupId, sql });
    const committed = await waitFor(
      'the group to commit past the markers',
      async () => {
        const progress = await probe.progress(groupId, topic);
        return progress.every((p) => p.committed === p.end) ? progress : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      committed.map((p) => p.committed),
      Array(PARTITIONS).fill(3n),
    );
    assert.equal(running.handled(), 0, 'no record was read again');
  });
}
