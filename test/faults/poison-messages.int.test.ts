// Poison records of every kind, mixed into a stream of good ones, before both consumers of one
// group: each goes to the dead-letter topic with its reason and origin, and every good album
// around it is stored. (pipeline.int.test.ts covers one garbage and one invalid record per client.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { createGroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { encodeAlbum } from '../../src/domain/album-codec.ts';
import { AlbumSchema } from '../../src/gen/service/music_pb.js';
import { albumOf, assertRowsEqual, countBetween, recordCount } from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import {
  freshTopics,
  idBlock,
  kafka,
  produceRaw,
  type RawRecord,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../support/stack.ts';
import { startBothConsumers } from './support.ts';

const album = (
  fields: Partial<{ id: number; title: string; artist: string; price: number; priceCents: bigint }>,
) =>
  toBinary(
    AlbumSchema,
    create(AlbumSchema, { id: 7, title: 'T', artist: 'A', price: 1, ...fields }),
  );
const good = encodeAlbum({ id: 7, title: 'Fine', artist: 'Fine', priceCents: 100n });

/** Each kind of poison and the reason its dead letter must give. */
const POISON: readonly { name: string; value: Uint8Array | null; reason: RegExp }[] = [
  {
    name: 'garbage bytes',
    value: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    reason: /^not a service\.Album/,
  },
  {
    name: 'a message cut short',
    value: good.slice(0, good.length - 3),
    reason: /^not a service\.Album/,
  },
  {
    name: 'a field of the wrong wire type',
    value: new Uint8Array([0x0d, 0x01, 0x02, 0x03, 0x04]),
    reason: /^not a service\.Album/,
  },
  {
    name: 'invalid UTF-8 in the title',
    value: new Uint8Array([0x08, 0x07, 0x12, 0x03, 0x61, 0xff, 0x62, 0x1a, 0x01, 0x41]),
    reason: /^not a service\.Album/,
  },
  { name: 'an empty value', value: new Uint8Array(), reason: /^empty message value/ },
  // On a key that names no album: a tombstone with an id as its key deletes that album.
  { name: 'a tombstone (no value)', value: null, reason: /^tombstone without an album id/ },
  { name: 'id 0', value: album({ id: 0 }), reason: /^id:/ },
  // Field 1 as a 5-byte varint of 2^31: protobuf's int32 reading would make it -2^31.
  {
    name: 'an id above int32',
    value: new Uint8Array([0x08, 0x80, 0x80, 0x80, 0x80, 0x08, 0x12, 0x01, 0x54, 0x1a, 0x01, 0x41]),
    reason: /^id: 2147483648 is not a 32-bit integer/,
  },
  { name: 'a blank title', value: album({ title: ' \t ' }), reason: /^title: must not be empty/ },
  {
    name: 'a title of 201 characters',
    value: album({ title: 'x'.repeat(201) }),
    reason: /^title: must be at most 200/,
  },
  {
    name: 'an artist of 201 emoji',
    value: album({ artist: '💿'.repeat(201) }),
    reason: /^artist: must be at most 200/,
  },
  {
    name: 'a NUL in the title',
    value: album({ title: 'a\u0000b' }),
    reason: /^title: must not contain NUL/,
  },
  { name: 'negative price_cents', value: album({ priceCents: -1n }), reason: /^price:/ },
  {
    name: 'price_cents over the maximum',
    value: album({ priceCents: 10_000_000_000n }),
    reason: /^price:/,
  },
  {
    name: 'a NaN float price',
    value: album({ price: Number.NaN }),
    reason: /^price: must be a finite number/,
  },
  {
    name: 'an infinite float price',
    value: album({ price: Number.POSITIVE_INFINITY }),
    reason: /^price: must be a finite number/,
  },
  { name: 'a negative float price', value: album({ price: -1 }), reason: /^price:/ },
  {
    name: 'a float price of -0.004 (negative before rounding to 0.00)',
    value: album({ price: -0.004 }),
    reason: /^price: must not be negative/,
  },
];
const ROUNDS = 5;
const GOOD_PER_ROUND = 400;

test('poison of every kind amid 2,000 good albums: each dead-lettered with its reason, every good album stored', async (t) => {
  const defer = cleanupStack(t);
  const sql = testSql(2);
  defer(() => sql.end({ timeout: 5 }));
  const { topic, dlq } = await freshTopics('poison-mix');
  const groupId = uniqueName('poison-mix');
  const { members, tracker } = startBothConsumers(t, defer, {
    topic,
    dlq,
    groupId,
    sql,
    batchSize: 100,
  });
  const probe = createGroupProbe(kafka, uniqueName('poison-probe'));
  defer(() => probe.close());
  await waitFor(
    'a stable group of both',
    async () => {
      const group = await probe.describe(groupId);
      return members.every((m) => m.isJoined()) && group.state === 'Stable' && group.members === 2
        ? true
        : undefined;
    },
    60_000,
  );

  const ids = idBlock(ROUNDS * GOOD_PER_ROUND);
  const albums = ids.map((id) => albumOf(id, 'poison-mix'));
  const records: RawRecord[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const goods = albums.slice(round * GOOD_PER_ROUND, (round + 1) * GOOD_PER_ROUND);
    goods.forEach((a, i) => {
      records.push({ key: String(a.id), value: encodeAlbum(a) });
      // A poison record every so often, on keys that spread them over the partitions.
      const poison = POISON[i / 20];
      if (i % 20 === 0 && poison) {
        records.push({
          key: `poison-${round}-${poison.name}`,
          value: poison.value,
          headers: { kind: poison.name },
        });
      }
    });
  }
  const poisonCount = ROUNDS * POISON.length;
  assert.equal(records.length, albums.length + poisonCount);
  await produceRaw(topic, records);

  await waitFor(
    `${albums.length} good albums`,
    async () =>
      (await countBetween(sql, ids[0] as number, ids.at(-1) as number)) === albums.length
        ? true
        : undefined,
    60_000,
  );
  await assertRowsEqual(sql, albums);
  await waitFor(
    `${records.length} records handled`,
    async () => (tracker.seen.size >= records.length ? true : undefined),
    60_000,
  );
  // Letters reach the DLQ through the outbox, published by the relay after their batch committed.
  await waitFor(
    `${poisonCount} dead letters on the DLQ`,
    async () => ((await recordCount(dlq)) >= poisonCount ? true : undefined),
    60_000,
  );
  assert.equal(await recordCount(dlq), poisonCount, 'one dead letter per poison record');

  // It returns as soon as it has them all; the time only bounds a wait for ones that never come.
  const letters = await readTopic(dlq, poisonCount, 60_000);
  const seen = new Map<string, number>();
  const consumers = new Set<string>();
  for (const letter of letters) {
    const kind = letter.headers.get('kind') ?? '';
    const poison = POISON.find((p) => p.name === kind);
    assert.ok(poison, `a dead letter of a known kind (${kind})`);
    assert.match(letter.headers.get('x-dlq-reason') ?? '', poison.reason, kind);
    assert.equal(letter.headers.get('x-dlq-source-topic'), topic);
    assert.match(letter.headers.get('x-dlq-source-offset') ?? '', /^\d+$/);
    assert.match(letter.key?.toString() ?? '', /^poison-/);
    // The original bytes, untouched (a tombstone's are empty).
    assert.deepEqual(new Uint8Array(letter.value ?? []), new Uint8Array(poison.value ?? []), kind);
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    consumers.add(letter.headers.get('x-dlq-consumer') ?? '');
  }
  assert.deepEqual(
    [...seen.values()],
    Array(POISON.length).fill(ROUNDS),
    JSON.stringify(Object.fromEntries(seen)),
  );
  assert.deepEqual(
    [...consumers].sort(),
    ['confluent', 'platformatic'],
    'both clients dead-lettered',
  );
  t.diagnostic(
    `${albums.length} good albums stored, ${poisonCount} poison records dead-lettered (${POISON.length} kinds)`,
  );
});
