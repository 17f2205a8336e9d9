import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAlbum } from '../../src/domain/album-codec.ts';
import { planBatch } from '../../src/domain/batch.ts';

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
  const titles = new Map(plan.changes.map((c) => [c.album.id, c.album.title]));
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
