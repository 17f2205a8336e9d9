// Deletes through a real topic and both Kafka clients: tombstones remove rows in order with the
// album's other changes, in one batch and across batches, and a replay from offset 0 leaves the
// same table. The topics here stamp CreateTime, so a test can produce an update that is older
// than a delete yet arrives after it, as a late or replayed record would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import {
  freshTopics,
  idBlock,
  produceRaw,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { albumOf, CLIENTS, type Running, recordCount, startConsumer } from './support.ts';

const put = (id: number, version: number, timestamp?: bigint) => ({
  key: String(id),
  value: encodeAlbum(albumOf(id, 'deletes', version)),
  timestamp,
});
const tombstone = (id: number, timestamp?: bigint) => ({ key: String(id), value: null, timestamp });

/**
 * The rows of `ids`, and the tombstones of those without a row. A recreated album may keep a
 * tombstone or not depending on how its events were batched (a delete that a newer update
 * follows in the same batch is never applied); while the row exists, the row's newer position
 * decides, so such a tombstone changes nothing.
 */
async function tableOf(sql: Sql, ids: readonly number[]) {
  const albums = await sql`
    select id, title, price::text, event_time, event_partition, event_offset::text
    from music.albums where id = any(${ids}::int4[]) order by id`;
  const tombstones = await sql`
    select id, event_time, event_partition, event_offset::text
    from music.album_tombstones d where id = any(${ids}::int4[])
      and not exists (select from music.albums a where a.id = d.id)
    order by id`;
  return { albums: [...albums], tombstones: [...tombstones] };
}

const titles = async (sql: Sql, ids: readonly number[]) =>
  (await tableOf(sql, ids)).albums.map((r) => r.title as string);

const handledAll = (running: Running, n: number) =>
  waitFor(`${running.client} to handle ${n} records`, async () =>
    running.handled() >= n ? true : undefined,
  );

for (const client of CLIENTS) {
  test(`${client}: tombstones delete in order, within and across batches; a replay leaves the same table`, async (t) => {
    const sql = testSql(2);
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`deletes-${client}`, 3);
    const [gone, back, kept, never] = idBlock(4) as [number, number, number, number];
    const ids = [gone, back, kept, never];
    const now = BigInt(Date.now());

    // One produce, so one batch: an update and its delete; a delete between two updates; an
    // update alone; a delete of an album that never was.
    await produceRaw(topic, [
      put(gone, 1),
      put(back, 1),
      put(kept, 1),
      tombstone(gone),
      tombstone(back),
      put(back, 2),
      tombstone(never),
    ]);
    const groupId = uniqueName(`deletes-${client}`);
    const running = startConsumer(t, { client, topic, dlq, groupId, sql });
    await handledAll(running, 7);
    assert.deepEqual(await titles(sql, ids), [`deletes #${back} v2`, `deletes #${kept} v1`]);

    // The tombstones are on the topic as Kafka defines them: the id as key, no value.
    const onTopic = await readTopic(topic, 7);
    const deletes = onTopic.filter((m) => m.value === null).map((m) => m.key?.toString());
    assert.deepEqual(deletes.sort(), [gone, back, never].map(String).sort());

    // Across batches: an update older than the delete, arriving after it, does not resurrect;
    // a delete older than the album's update does not remove it; a newer update recreates.
    await produceRaw(topic, [put(gone, 0, now - 60_000n), tombstone(kept, now - 60_000n)]);
    await handledAll(running, 9);
    assert.deepEqual(await titles(sql, ids), [`deletes #${back} v2`, `deletes #${kept} v1`]);
    await produceRaw(topic, [put(gone, 3)]);
    await handledAll(running, 10);
    assert.deepEqual(await titles(sql, ids), [
      `deletes #${gone} v3`,
      `deletes #${back} v2`,
      `deletes #${kept} v1`,
    ]);
    await produceRaw(topic, [tombstone(gone)]);
    await handledAll(running, 11);
    assert.equal(await recordCount(dlq), 0, 'no tombstone was dead-lettered');
    await running.stop();
    const final = await tableOf(sql, ids);
    assert.deepEqual(
      final.albums.map((r) => r.id),
      [back, kept],
    );

    // A replay from offset 0 in a new group, one record per batch: nothing changes.
    const replay = startConsumer(t, {
      client,
      topic,
      dlq,
      groupId: uniqueName(`deletes-replay-${client}`),
      sql,
      batchSize: 1,
    });
    await handledAll(replay, 11);
    assert.deepEqual(await tableOf(sql, ids), final, 'replayed onto the table');
    await replay.stop();

    // Rebuilt from nothing by another replay, in batches as they come: the same table again.
    await sql`delete from music.albums where id = any(${ids}::int4[])`;
    await sql`delete from music.album_tombstones where id = any(${ids}::int4[])`;
    const rebuild = startConsumer(t, {
      client,
      topic,
      dlq,
      groupId: uniqueName(`deletes-rebuild-${client}`),
      sql,
    });
    await handledAll(rebuild, 11);
    assert.deepEqual(await tableOf(sql, ids), final, 'rebuilt from offset 0');
  });
}
