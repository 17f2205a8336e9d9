// A REST batch is on the topic whole or not at all, whatever partitions its ids hash to: the REST
// runtime's publisher against the real broker, both consumers reading what it wrote into
// PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGroupProbe } from '../../../src/adapters/kafka/group-probe.ts';
import { createPublisher, processTransactionalId } from '../../../src/adapters/kafka/publisher.ts';
import { CLIENTS, startConsumer } from '../../apps/consumer/support.ts';
import { kafka, readTopic, uniqueName, waitFor } from '../../support/stack.ts';
import { countRecords } from '../../support/topic-records.ts';
import {
  idsOnPartition,
  jsonRequest,
  oneIdPerPartition,
  serviceTopics,
  startRest,
  storedOf,
} from './support.ts';

/** The broker's default limit of one record batch (message.max.bytes). */
const RECORD_BATCH_LIMIT = 1024 * 1024 + 12;

/**
 * Albums of about 1 KB in JSON (200 characters of title, 136 of artist, mostly 3-byte '€'), so
 * that 1000 of them stay under the REST body limit of 1 MiB while their records do not fit in one
 * record batch: a record carries the key and the x-request-id header besides the album.
 */
const albumsOf = (ids: readonly number[], label: string) =>
  ids.map((id) => ({
    id,
    title: `${label} `.padEnd(200, '€'),
    artist: '€'.repeat(136),
    price: 9.99,
  }));

test('a batch of 1000 albums whose ids all hash to one partition is accepted and stored', async (t) => {
  const topics = await serviceTopics('one-partition');
  const { app, sql } = await startRest(t, 'one-partition', topics);
  startConsumer(t, {
    client: 'platformatic',
    ...topics,
    groupId: uniqueName('one-partition-group'),
  });
  const ids = idsOnPartition(2, 1000);
  const request = jsonRequest(albumsOf(ids, 'One partition'), randomUUID());
  assert.ok(Buffer.byteLength(request.payload) < 1024 * 1024, 'the body is within the REST limit');

  const res = await app.inject({ method: 'POST', url: '/api/v1/albums', ...request });

  assert.equal(res.statusCode, 202, res.body);
  const records = await readTopic(topics.topic, 1000, 60_000);
  assert.deepEqual(new Set(records.map((r) => r.partition)), new Set([2]), 'one partition');
  // The premise: in one record batch, as one produce request would send them, they would not fit.
  const bytes = records.reduce(
    (sum, r) =>
      sum +
      (r.key?.length ?? 0) +
      (r.value?.length ?? 0) +
      [...r.headers].reduce((h, [k, v]) => h + k.length + v.length, 0),
    0,
  );
  assert.ok(bytes > RECORD_BATCH_LIMIT, `${bytes} bytes of records exceed one record batch`);
  await waitFor('the 1000 albums stored', async () =>
    (await storedOf(sql, ids)) === 1000 ? true : undefined,
  );
});

for (const client of CLIENTS) {
  test(`a batch whose transaction aborts part-way answers 503 and none of it is stored (${client} consumer)`, async (t) => {
    const topics = await serviceTopics(`abort-${client}`);
    let requests = 0;
    let failing = true;
    // The REST runtime's publisher as it builds it, but with small produce requests and a failure
    // after the second one was acknowledged: part of the batch is in the log when it aborts.
    const publisher = createPublisher({
      kafka,
      clientId: uniqueName('abort-publisher'),
      timeoutMs: 10_000,
      transactionalId: processTransactionalId(uniqueName('abort')),
      maxRequestBytes: 32 * 1024,
      afterRequest: () => {
        requests++;
        if (failing && requests === 2) throw new Error('injected failure after two requests');
      },
    });
    const { app, sql, defer } = await startRest(t, `abort-${client}`, topics, {
      publisher: () => publisher,
    });
    defer(() => publisher.close());
    const groupId = uniqueName(`abort-${client}-group`);
    startConsumer(t, { client, ...topics, groupId });
    const ids = idsOnPartition(1, 50).concat(idsOnPartition(4, 50));

    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/albums',
      ...jsonRequest(albumsOf(ids, 'Aborted')),
    });

    assert.equal(refused.statusCode, 503, refused.body);
    const keys = new Set(ids.map(String));
    const written = await countRecords(topics.topic, kafka, {
      uncommitted: true,
      keys,
    });
    assert.ok(written > 0, `part of the batch reached the log before the abort (${written})`);
    assert.equal(await countRecords(topics.topic, kafka, { keys }), 0);

    // One album on each partition after it: once they are stored, the consumer read past the batch.
    failing = false;
    const markers = oneIdPerPartition();
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/v1/albums',
      ...jsonRequest(albumsOf(markers, 'After')),
    });
    assert.equal(accepted.statusCode, 202, accepted.body);
    await waitFor('the albums after the aborted batch', async () =>
      (await storedOf(sql, markers)) === markers.length ? true : undefined,
    );
    assert.equal(await storedOf(sql, ids), 0, 'no album of the refused batch is stored');

    // Markers and aborted records take offsets no record shows: an idle consumer commits past
    // them, so the group's lag reaches 0 rather than staying at 1 per partition and more.
    const probe = createGroupProbe(kafka, uniqueName('abort-probe'));
    defer(() => probe.close());
    const lag = async () =>
      (await probe.progress(groupId, topics.topic)).reduce(
        (sum, p) => sum + Number(p.end - (p.committed ?? p.start)),
        0,
      );
    await waitFor('the group committed to the end of every partition', async () =>
      (await lag()) === 0 ? true : undefined,
    );
  });
}

test('a commit neither confirmed nor refused is sent again in a new transaction: the publish succeeds and its records are in the log once', async (t) => {
  const topics = await serviceTopics('unsure-commit');
  let commits = 0;
  const publisher = createPublisher({
    kafka,
    clientId: uniqueName('unsure-publisher'),
    timeoutMs: 3000,
    transactionalId: processTransactionalId(uniqueName('unsure')),
    // The first commit leaves after the deadline, when a new producer has fenced this one: its
    // outcome is unknown to the publisher, which cannot tell an abort from a lost answer.
    beforeCommit: async () => {
      if (++commits === 1) await sleep(4500);
    },
  });
  t.after(() => publisher.close());
  const ids = oneIdPerPartition();
  const keys = new Set(ids.map(String));

  await publisher.publish(
    topics.topic,
    ids.map((id) => ({ key: String(id), value: Buffer.from(`album ${id}`) })),
  );

  assert.equal(commits, 2, 'the round was committed again, on the other producer');
  // Readable once the fenced first transaction is aborted (until then it holds the partitions'
  // last stable offset before these records): at once on one broker, a moment later on three.
  let count = 0;
  await waitFor(
    `${ids.length} records readable`,
    async () => {
      count = await countRecords(topics.topic, kafka, { keys });
      return count >= ids.length ? true : undefined;
    },
    30_000,
  ).catch(() => undefined);
  assert.equal(count, ids.length, 'in the log once');
});
