// Deletes through the REST API end to end, on each Kafka client: app.inject → tombstones on a
// real topic → the consumer runtime → rows gone from PostgreSQL; a later PUT recreates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  log,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { CLIENTS, startConsumer } from '../consumer/support.ts';

const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json', 'x-request-id': 'deletes-test' },
  payload: JSON.stringify(body),
});

async function idsStored(sql: Sql, ids: readonly number[]): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    select id from music.albums where id = any(${ids}::int4[]) order by id`;
  return rows.map((r) => r.id);
}

const waitStored = (sql: Sql, ids: readonly number[], want: readonly number[]) =>
  waitFor(`stored ${JSON.stringify(want)}`, async () =>
    JSON.stringify(await idsStored(sql, ids)) === JSON.stringify(want) ? true : undefined,
  );

for (const client of CLIENTS) {
  test(`${client}: DELETE and the batch delete put tombstones on the topic and the rows go; a PUT recreates`, async (t) => {
    const { topic, dlq } = await freshTopics(`rest-deletes-${client}`);
    const defer = cleanupStack(t);
    const sql = testSql(2);
    defer(() => sql.end({ timeout: 5 }));
    const settings = configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_CLIENT_ID: uniqueName('rest-deletes'),
      PRODUCE_TIMEOUT_MS: 10_000,
    });
    const rest = await createRestRuntime(settings, { log, createTopics: false });
    defer(() => rest.close());
    startConsumer(t, { client, topic, dlq, groupId: uniqueName('rest-deletes'), sql });
    const { app } = rest;

    const ids = idBlock(3) as [number, number, number];
    const albums = ids.map((id) => ({ id, title: `Doomed ${id}`, artist: 'Delete', price: 1 }));
    const put = await app.inject({ method: 'PUT', url: '/api/v1/albums', ...json(albums) });
    assert.equal(put.statusCode, 202, put.body);
    await waitStored(sql, ids, ids);

    const one = await app.inject({
      method: 'DELETE',
      url: `/api/v1/albums/${ids[0]}`,
      headers: { 'x-request-id': 'delete-one' },
    });
    assert.equal(one.statusCode, 202, one.body);
    assert.deepEqual(one.json(), { id: ids[0] });
    // The 202 came after the commit: the tombstone is on the topic, keyed like the album's writes.
    const records = await readTopic(topic, 4);
    const tombstone = records.find((r) => r.value === null);
    assert.equal(tombstone?.key?.toString(), String(ids[0]));
    assert.equal(tombstone?.headers.get('x-request-id'), 'delete-one');
    const write = records.find((r) => r.key?.toString() === String(ids[0]) && r.value !== null);
    assert.equal(tombstone?.partition, write?.partition, "on the album's partition");
    await waitStored(sql, ids, [ids[1], ids[2]]);
    const gone = await app.inject({ method: 'GET', url: `/api/v1/albums/${ids[0]}` });
    assert.equal(gone.statusCode, 404);

    const batch = await app.inject({
      method: 'POST',
      url: '/api/v1/albums:delete',
      ...json({ ids: [ids[1], ids[2], ids[1]] }),
    });
    assert.equal(batch.statusCode, 202, batch.body);
    assert.deepEqual(batch.json(), { ids: [ids[1], ids[2]] });
    await waitStored(sql, ids, []);

    const again = await app.inject({ method: 'PUT', url: '/api/v1/album', ...json(albums[0]) });
    assert.equal(again.statusCode, 202, again.body);
    await waitStored(sql, ids, [ids[0]]);
  });
}
