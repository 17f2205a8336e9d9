// `music rest delete` and `music db delete`: tombstones through a REST API started here (a
// consumer deletes the rows), and a row deleted straight from PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeAlbumChanges } from '../../../src/adapters/db/album-changes.ts';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { idBlock, readTopic, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import { startConsumer } from '../consumer/support.ts';
import { assertFailure, music, musicJson, startRestApi } from './support.ts';

const stored = async (sql: Sql, ids: readonly number[]) =>
  (
    await sql<{ id: number }[]>`
      select id from music.albums where id = any(${ids}::int4[]) order by id`
  ).map((r) => r.id);

const insert = (id: number) =>
  musicJson([
    'db',
    'insert',
    '--id',
    String(id),
    '--title',
    'Doomed',
    '--artist',
    'CLI',
    '--price',
    '1',
  ]);

test('rest delete ID…: a tombstone per id on the topic (several in one batch), and the rows go', async (t) => {
  const sql = testSql(1);
  t.after(() => sql.end({ timeout: 5 }));
  const api = await startRestApi(t, 'cli-rest-delete');
  const { topic } = api;
  startConsumer(t, {
    client: 'platformatic',
    topic,
    dlq: `${topic}.dlq`,
    groupId: uniqueName('cli-delete'),
    sql,
  });
  const ids = idBlock(3) as [number, number, number];
  for (const id of ids) await insert(id);

  const one = await musicJson<{ deleted: number[] }>(['rest', 'delete', String(ids[0])], api.env);
  assert.deepEqual(one, { deleted: [ids[0]] });
  const two = await music(['rest', 'delete', String(ids[1]), String(ids[2])], api.env);
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stdout, /^accepted: 2 deletes on the Kafka topic/);
  assert.deepEqual(api.batches, [1, 2], 'one request each: DELETE, then the batch delete');

  const records = await readTopic(topic, 3);
  assert.deepEqual(
    records.map((r) => [r.key?.toString(), r.value]).sort(),
    ids.map((id) => [String(id), null]).sort(),
  );
  await waitFor('the rows deleted', async () =>
    (await stored(sql, ids)).length === 0 ? true : undefined,
  );

  const bad = await music(['rest', 'delete', '0'], api.env);
  assert.equal(bad.code, 2, bad.stderr);
});

test('db delete ID: the row goes, a replay of its event keeps it gone, a missing id is exit 3', async (t) => {
  const sql = testSql(1);
  t.after(() => sql.end({ timeout: 5 }));
  const [id] = idBlock(1) as [number];
  const change = {
    album: { id, title: 'Replayed', artist: 'CLI', priceCents: 100n },
    eventTimeMs: 1_000n,
    partition: 0,
    offset: 7n,
  };
  await storeAlbumChanges(sql, [change]);
  assert.deepEqual(await musicJson(['db', 'delete', String(id)]), { deleted: [id] });
  assert.deepEqual(await stored(sql, [id]), []);
  await storeAlbumChanges(sql, [change]);
  assert.deepEqual(await stored(sql, [id]), [], 'the same event again does not bring it back');
  assertFailure(await music(['db', 'delete', String(id)]), 3, /album \d+ does not exist/);
});
