// Records of other producers whose id or price is out of range, produced straight to the topic
// before a consumer runtime of each client: an id varint above int32 is dead-lettered with its
// reason (protobuf's int32 reading would have stored it truncated, as another album), and so is a
// float price of -0.004 (rounding first would have stored 0.00). Valid originals around them, a
// negative id among them, are stored with their float32 prices rounded to cents.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { AlbumSchema } from '../../src/gen/service/music_pb.js';
import { CLIENTS, startConsumer } from '../apps/consumer/support.ts';
import {
  freshTopics,
  idBlock,
  produceRaw,
  type RawRecord,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../support/stack.ts';

/** A bare original-contract album (no price_cents), its id written as an int64 varint. */
function albumWithId(id: bigint, title: string, price: number): Uint8Array {
  const id1 = new BinaryWriter().tag(1, WireType.Varint).int64(id).finish();
  const rest = toBinary(
    AlbumSchema,
    create(AlbumSchema, { title, artist: 'Other Producer', price }),
  );
  return Buffer.concat([id1, rest]);
}

for (const client of CLIENTS) {
  test(`${client}: ids above int32 and negative float prices are dead-lettered, never stored`, async (t) => {
    const sql = testSql(2);
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`out-of-range-${client}`);
    const label = uniqueName('range');
    const [truncatedTo, negativePrice, sentinel, roundedUp] = idBlock(4) as [
      number,
      number,
      number,
      number,
    ];
    const negativeId = -randomInt(1, 2 ** 31);
    const bad: { name: string; record: RawRecord; reason: RegExp }[] = [
      {
        name: 'id 2^31',
        record: { key: 'a', value: albumWithId(2n ** 31n, `${label} a`, 1) },
        reason: /^id: 2147483648 is not a 32-bit integer/,
      },
      {
        // protobuf's int32 reading keeps the low 32 bits: album `truncatedTo`.
        name: 'id 2^32 + an id',
        record: {
          key: 'b',
          value: albumWithId(2n ** 32n + BigInt(truncatedTo), `${label} b`, 1),
        },
        reason: new RegExp(`^id: ${2 ** 32 + truncatedTo} is not a 32-bit integer`),
      },
      {
        name: 'id -2^31 - 1',
        record: { key: 'c', value: albumWithId(-(2n ** 31n) - 1n, `${label} c`, 1) },
        reason: /^id: -2147483649 is not a 32-bit integer/,
      },
      {
        name: 'price -0.004',
        record: {
          key: String(negativePrice),
          value: albumWithId(BigInt(negativePrice), `${label} d`, -0.004),
        },
        reason: /^price: must not be negative/,
      },
    ];
    const good: RawRecord[] = [
      // Go's rand.Float32() and a negative int32 id, as the original stored them.
      { key: String(negativeId), value: albumWithId(BigInt(negativeId), `${label} e`, 0.6782996) },
      // The float32 nearest 1.005 is 1.00499999523…: rounded as the original's float → numeric.
      { key: String(roundedUp), value: albumWithId(BigInt(roundedUp), `${label} f`, 1.005) },
      { key: String(sentinel), value: albumWithId(BigInt(sentinel), `${label} g`, 0.125) },
    ];
    await produceRaw(topic, [...bad.map((b) => b.record), ...good]);
    startConsumer(t, { client, topic, dlq, groupId: uniqueName(`range-${client}`) });

    const want = [
      { id: negativeId, title: `${label} e`, price: '0.68' },
      { id: roundedUp, title: `${label} f`, price: '1.00' },
      { id: sentinel, title: `${label} g`, price: '0.13' },
    ].sort((a, b) => a.id - b.id);
    await waitFor(
      'the valid albums stored',
      async () => {
        const rows = await sql<{ id: number; title: string; price: string }[]>`
          select id, title, price::text as price from music.albums
          where id = any(${want.map((w) => w.id)}::int4[]) order by id`;
        return JSON.stringify(rows.map((r) => ({ ...r }))) === JSON.stringify(want)
          ? true
          : undefined;
      },
      60_000,
    );

    const letters = await readTopic(dlq, bad.length, 60_000);
    assert.equal(letters.length, bad.length, 'one dead letter per record out of range');
    for (const b of bad) {
      const letter = letters.find((l) => l.key?.toString() === b.record.key);
      assert.ok(letter, `${b.name}: dead-lettered`);
      assert.match(letter.headers.get('x-dlq-reason') ?? '', b.reason, b.name);
      assert.deepEqual(
        new Uint8Array(letter.value ?? []),
        new Uint8Array(b.record.value ?? []),
        `${b.name}: as sent`,
      );
    }
    const [stray] = await sql<{ n: number }[]>`
      select count(*)::int as n from music.albums
      where title like ${`${label} %`} and title <> all(${want.map((w) => w.title)}::text[])
         or id in (${truncatedTo}, ${negativePrice})`;
    assert.equal(stray?.n, 0, 'nothing of the refused records was stored, truncated or rounded');
  });
}
