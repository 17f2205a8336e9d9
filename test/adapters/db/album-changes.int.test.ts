// Deletes in the database: tombstones keep the newest delete per id, so that no older update
// (late, or replayed) brings an album back, while a newer one recreates it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  deleteStoredAlbum,
  LOCK_CLASS,
  slotOf,
  storeAlbumChanges,
} from '../../../src/adapters/db/album-changes.ts';
import { upsertAlbums } from '../../../src/adapters/db/album-upsert.ts';
import type { AlbumChange, AlbumDeletion, AlbumUpsert } from '../../../src/domain/batch.ts';
import { idBlock, testSql } from '../../support/stack.ts';

const sql = testSql(4);
after(() => sql.end());

const put = (id: number, title: string, offset: number): AlbumUpsert => ({
  album: { id, title, artist: 'Delete test', priceCents: 100n },
  eventTimeMs: BigInt(1000 + offset),
  partition: 0,
  offset: BigInt(offset),
});
const del = (id: number, offset: number): AlbumDeletion => ({
  deletedId: id,
  eventTimeMs: BigInt(1000 + offset),
  partition: 0,
  offset: BigInt(offset),
});

const titleOf = async (id: number) =>
  (await sql<{ title: string }[]>`select title from music.albums where id = ${id}`)[0]?.title ??
  null;

async function snapshot(ids: readonly number[]) {
  const albums = await sql`
    select id, title, event_time, event_partition, event_offset::text
    from music.albums where id = any(${ids}::int4[]) order by id`;
  const tombstones = await sql`
    select id, event_time, event_partition, event_offset::text
    from music.album_tombstones where id = any(${ids}::int4[]) order by id`;
  return { albums: [...albums], tombstones: [...tombstones] };
}

test('a delete removes the row; an older update after it does not bring it back; a newer one does', async () => {
  const [id] = idBlock(1) as [number];
  assert.deepEqual(await storeAlbumChanges(sql, [put(id, 'v1', 1)]), [id]);
  assert.deepEqual(await storeAlbumChanges(sql, [del(id, 2)]), [id]);
  assert.equal(await titleOf(id), null);
  // Older than the delete, in a later batch: skipped, as upsertAlbums alone skips it too.
  assert.deepEqual(await storeAlbumChanges(sql, [put(id, 'late', 1)]), []);
  assert.deepEqual(await upsertAlbums(sql, [put(id, 'late', 1)]), []);
  assert.equal(await titleOf(id), null);
  // An older delete after the newer one changes nothing either.
  assert.deepEqual(await storeAlbumChanges(sql, [del(id, 0)]), []);
  assert.deepEqual(await storeAlbumChanges(sql, [put(id, 'v3', 3)]), [id]);
  assert.equal(await titleOf(id), 'v3');
  // A delete older than the row's event (a replayed one) leaves the recreated album.
  assert.deepEqual(await storeAlbumChanges(sql, [del(id, 2)]), []);
  assert.equal(await titleOf(id), 'v3');
});

test('replaying every event, one batch each or all at once, leaves the same table', async () => {
  const [a, b, c] = idBlock(3) as [number, number, number];
  const ids = [a, b, c];
  // a: put, delete. b: put, delete, put. c: put, put.
  const events: AlbumChange[] = [
    put(a, 'a1', 1),
    put(b, 'b1', 2),
    put(c, 'c1', 3),
    del(a, 4),
    del(b, 5),
    put(b, 'b2', 6),
    put(c, 'c2', 7),
  ];
  for (const e of events) await storeAlbumChanges(sql, [e]);
  const first = await snapshot(ids);
  assert.deepEqual(
    first.albums.map((r) => r.title),
    ['b2', 'c2'],
  );
  for (const e of events) await storeAlbumChanges(sql, [e]);
  assert.deepEqual(await snapshot(ids), first, 'replayed one by one');
  for (const e of [...events].reverse()) await storeAlbumChanges(sql, [e]);
  assert.deepEqual(await snapshot(ids), first, 'replayed backwards');
  // Rebuilt from nothing: the rows and tombstones come back as they were.
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql`delete from music.album_tombstones where id = any(${ids}::int4[])`;
  for (const e of events) await storeAlbumChanges(sql, [e]);
  assert.deepEqual(await snapshot(ids), first, 'rebuilt');
});

test('music db delete keeps a tombstone at the row position: replays stay deleted, later changes win', async () => {
  const [id] = idBlock(1) as [number];
  await storeAlbumChanges(sql, [put(id, 'v1', 5)]);
  assert.equal(await deleteStoredAlbum(sql, id), true);
  assert.equal(await deleteStoredAlbum(sql, id), false);
  assert.deepEqual(await storeAlbumChanges(sql, [put(id, 'v1', 5)]), [], 'the same event again');
  assert.equal(await titleOf(id), null);
  assert.deepEqual(await storeAlbumChanges(sql, [put(id, 'v2', 6)]), [id]);
  assert.equal(await titleOf(id), 'v2');
});

test('an older insert and a newer delete of one id stored at once: the delete wins', async () => {
  // Two members storing at the same moment (one of them a member that lost its partitions).
  for (let round = 0; round < 20; round++) {
    const [id] = idBlock(1) as [number];
    await Promise.all([
      storeAlbumChanges(sql, [put(id, 'old', 1)]),
      storeAlbumChanges(sql, [del(id, 2)]),
    ]);
    assert.equal(await titleOf(id), null, `round ${round}`);
  }
});

test('batches of upserts store side by side; a batch with a deletion waits for them', async () => {
  const [id] = idBlock(1) as [number];
  // A batch of upserts in flight elsewhere, holding its slot as storeAlbumChanges does.
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = () => {};
  const holding = new Promise<void>((resolve) => {
    held = resolve;
  });
  const other = sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock_shared(${LOCK_CLASS}, ${slotOf(id)})`;
    held();
    await released;
  });
  await holding;
  try {
    // Another member's upserts of the same slot do not wait for it.
    const upsert = storeAlbumChanges(sql, [put(id, 'beside', 1)]);
    const first = await Promise.race([upsert, sleep(5000).then(() => 'waited' as const)]);
    assert.deepEqual(first, [id], 'an upsert batch waited for another one');
    // A deletion of that slot waits until the other batch has committed.
    let deleted = false;
    const deletion = storeAlbumChanges(sql, [del(id, 2)]).then((ids) => {
      deleted = true;
      return ids;
    });
    await sleep(300);
    assert.equal(deleted, false, 'the deletion did not wait for the upserts in flight');
    release();
    assert.deepEqual(await deletion, [id]);
  } finally {
    release();
    await other;
  }
  assert.equal(await titleOf(id), null);
});

test('two batches upserting the same ids in opposite orders at once: no deadlock, the newer wins', async () => {
  for (let round = 0; round < 10; round++) {
    const ids = idBlock(50);
    const older = ids.map((id) => put(id, 'older', 1));
    const newer = [...ids].reverse().map((id) => put(id, 'newer', 2));
    await Promise.all([storeAlbumChanges(sql, older), storeAlbumChanges(sql, newer)]);
    const titles = await sql<{ title: string }[]>`
      select title from music.albums where id = any(${ids}::int4[])`;
    assert.deepEqual(
      titles.map((r) => r.title),
      ids.map(() => 'newer'),
      `round ${round}`,
    );
  }
});
