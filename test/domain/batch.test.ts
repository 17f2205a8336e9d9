import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAlbum } from '../../src/domain/album-codec.ts';
import { type AlbumChange, changedId, planBatch } from '../../src/domain/batch.ts';

const event = (offset: number, timestamp: number, id: number, title: string, partition = 0) => ({
  topic: 't',
  partition,
  offset: BigInt(offset),
  timestamp: BigInt(timestamp),
  key: null,
  headers: new Map<string, string>(),
  value: Buffer.from(encodeAlbum({ id, title, artist: 'a', priceCents: 100n })),
});

test('several changes of one id collapse to the newest by event time, then position', () => {
  const plan = planBatch([
    event(0, 3000, 1, 'newest'),
    event(1, 1000, 1, 'oldest'),
    event(2, 2000, 1, 'middle'),
    event(3, 5000, 2, 'first of two'),
    event(4, 5000, 2, 'second of two'),
  ]);
  const titles = new Map(
    plan.changes.map((c) => [changedId(c), 'album' in c ? c.album.title : null]),
  );
  assert.equal(plan.changes.length, 2);
  assert.equal(titles.get(1), 'newest');
  assert.equal(titles.get(2), 'second of two');
  assert.equal(plan.rejected.length, 0);
});

test('bad records are set aside with their reason and the rest goes on', () => {
  const garbage = {
    topic: 't',
    partition: 1,
    offset: 9n,
    timestamp: 1n,
    key: null,
    headers: new Map<string, string>(),
    value: Buffer.from('nope'),
  };
  const plan = planBatch([garbage, event(10, 1, 5, 'fine')]);
  assert.equal(plan.changes.length, 1);
  assert.equal(plan.rejected.length, 1);
  assert.equal(plan.rejected[0]?.event, garbage);
  assert.ok(plan.rejected[0]?.reason);
});

/** A tombstone of album `id`: its id as the key, a null value. */
const tombstone = (offset: number, timestamp: number, id: number | string, partition = 0) => ({
  ...event(offset, timestamp, 1, 'unused', partition),
  key: Buffer.from(String(id)),
  value: null,
});

const only = (changes: readonly AlbumChange[]) => {
  assert.equal(changes.length, 1);
  return changes[0] as AlbumChange;
};

test('a tombstone deletes its id; the newest change of an id wins, whether update or delete', () => {
  // Produced in this order by the broker's clock: update, delete, update.
  const recreated = planBatch([
    event(0, 1000, 7, 'v1'),
    tombstone(1, 2000, 7),
    event(2, 3000, 7, 'v2'),
  ]);
  assert.deepEqual(only(recreated.changes), {
    ...only(planBatch([event(2, 3000, 7, 'v2')]).changes),
  });
  const deleted = planBatch([event(0, 1000, 7, 'v1'), tombstone(1, 2000, 7)]);
  assert.deepEqual(only(deleted.changes), {
    deletedId: 7,
    eventTimeMs: 2000n,
    partition: 0,
    offset: 1n,
  });
  // Delivered out of order (another partition's keyless update, or a redelivery): still the newest.
  const late = planBatch([tombstone(5, 2000, 7), event(4, 1000, 7, 'older', 1)]);
  assert.equal(changedId(only(late.changes)), 7);
  assert.ok('deletedId' in only(late.changes), 'the older update does not undo the delete');
  // Ties in one millisecond fall to the offset.
  const tie = planBatch([tombstone(8, 2000, 7), event(9, 2000, 7, 'same ms, later')]);
  assert.ok('album' in only(tie.changes));
  assert.deepEqual(deleted.rejected, []);
});

test('a tombstone whose key names no album is dead-lettered; an empty value is not a tombstone', () => {
  const bad = ['', 'x', '0', '007', '+7', ' 7', '2147483648', '-2147483649', '1.5'];
  const plan = planBatch(bad.map((key, i) => tombstone(i, 1000, key)));
  assert.equal(plan.changes.length, 0);
  assert.deepEqual(
    plan.rejected.map((r) => r.reason),
    bad.map(() => 'tombstone without an album id as its key'),
  );
  const keyless = planBatch([{ ...tombstone(0, 1000, 7), key: null }]);
  assert.equal(keyless.rejected.length, 1);
  const empty = planBatch([{ ...tombstone(0, 1000, 7), value: Buffer.alloc(0) }]);
  assert.match(empty.rejected[0]?.reason ?? '', /^empty message value/);
  const negative = planBatch([tombstone(0, 1000, -2147483648)]);
  assert.deepEqual(negative.changes.map(changedId), [-2147483648]);
});
