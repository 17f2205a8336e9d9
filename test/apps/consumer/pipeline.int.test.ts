// Acceptance of the write path's consuming half: records on a real topic → either Kafka client →
// the shared processing → real PostgreSQL (and the DLQ topic). Each test has its own topics and
// groups; the replay tests re-read the topics the single-client tests filled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createGroupProbe } from '../../../src/adapters/kafka/group-probe.ts';
import type { AlbumRecord } from '../../../src/domain/album.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import { AlbumSchema } from '../../../src/gen/service/music_pb.js';
import {
  freshTopics,
  idBlock,
  kafka,
  produceRaw,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import {
  albumOf,
  assertRowsEqual,
  CLIENTS,
  type Client,
  countBetween,
  newTracker,
  produceAlbums,
  type Running,
  recordCount,
  rowsBetween,
  startConsumer,
} from './support.ts';

const COUNT = 10_000;

/** Topics filled by the single-client tests, re-read by the replay tests. */
const filled = new Map<Client, { topic: string; albums: AlbumRecord[] }>();

function waitHandled(running: Running, n: number, timeoutMs = 30_000): Promise<true> {
  return waitFor(
    `${running.client} to handle ${n} records (handled ${running.handled()})`,
    async () => (running.handled() >= n ? true : undefined),
    timeoutMs,
  );
}

for (const client of CLIENTS) {
  test(`${client} alone stores ${COUNT} albums with exact values`, async (t) => {
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`alone-${client}`);
    const ids = idBlock(COUNT);
    const albums = ids.map((id) => albumOf(id, `alone-${client}`));
    const first = ids[0] as number;
    const last = ids[COUNT - 1] as number;
    await produceAlbums(topic, albums);
    assert.equal(await recordCount(topic), COUNT);

    const started = Date.now();
    const running = startConsumer(t, {
      client,
      topic,
      dlq,
      groupId: uniqueName(`alone-${client}`),
      sql,
    });
    await waitFor(
      `${COUNT} rows`,
      async () => ((await countBetween(sql, first, last)) === COUNT ? true : undefined),
      60_000,
    );
    const landed = Date.now();
    await assertRowsEqual(sql, albums);
    // The last store's count is taken when its call returns, a moment after its rows commit.
    await waitFor(
      `the stores to count ${COUNT} changed rows`,
      async () => (running.changed() >= COUNT ? true : undefined),
      10_000,
    ).catch(() => undefined);
    assert.equal(running.changed(), COUNT, 'every album was written once');
    assert.equal(await recordCount(dlq), 0, 'nothing was dead-lettered');

    const busy = Math.max(1, running.lastBatchAt() - running.firstBatchAt());
    t.diagnostic(
      `${client}: ${COUNT} albums in ${landed - started} ms from start (join included), ` +
        `${busy} ms from first to last batch = ${Math.round((COUNT * 1000) / busy)} albums/s`,
    );
    filled.set(client, { topic, albums });
  });
}

test(`both clients in one group store ${COUNT} albums exactly once`, async (t) => {
  const sql = testSql();
  t.after(() => sql.end({ timeout: 5 }));
  const { topic, dlq } = await freshTopics('shared-group');
  const groupId = uniqueName('shared-group');
  const tracker = newTracker();
  const members = CLIENTS.map((client) =>
    startConsumer(t, { client, topic, dlq, groupId, sql, tracker }),
  );
  // Records produced before the second member joins would all go to the first one.
  const probe = createGroupProbe(kafka, uniqueName('shared-probe'));
  t.after(() => probe.close());
  await waitFor(
    'a stable group of both members',
    async () => {
      if (!members.every((m) => m.isJoined())) return undefined;
      const group = await probe.describe(groupId);
      return group.state.toLowerCase() === 'stable' && group.members === 2 ? true : undefined;
    },
    60_000,
  );

  const ids = idBlock(COUNT);
  const albums = ids.map((id) => albumOf(id, 'shared-group'));
  await produceAlbums(topic, albums);
  await waitFor(
    `${COUNT} records handled`,
    async () => (tracker.seen.size + tracker.duplicates >= COUNT ? true : undefined),
    60_000,
  );
  await waitFor(`${COUNT} rows`, async () =>
    (await countBetween(sql, ids[0] as number, ids[COUNT - 1] as number)) === COUNT
      ? true
      : undefined,
  );

  const [a, b] = members as [Running, Running];
  t.diagnostic(
    `${a.client} handled ${a.handled()} (partitions ${[...a.partitions].sort()}), ` +
      `${b.client} handled ${b.handled()} (partitions ${[...b.partitions].sort()})`,
  );
  assert.ok(a.handled() > 0, `${a.client} handled a share`);
  assert.ok(b.handled() > 0, `${b.client} handled a share`);
  assert.equal(a.handled() + b.handled(), COUNT, 'records handled in total');
  assert.equal(tracker.duplicates, 0, 'no record was handled twice');
  assert.equal(tracker.seen.size, COUNT);
  assert.deepEqual(
    [...a.partitions].filter((p) => b.partitions.has(p)),
    [],
    'no partition moved between the members',
  );
  await assertRowsEqual(sql, albums);
});

for (const client of CLIENTS) {
  // Replays the topic the *other* client filled, so each client replays the other's writes.
  const source = client === 'platformatic' ? 'confluent' : 'platformatic';
  test(`replay from offset 0 in a new ${client} group changes no row`, async (t) => {
    const stored = filled.get(source);
    assert.ok(stored, `the "${source} alone" test ran first and filled its topic`);
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const ids = stored.albums.map((a) => a.id);
    const first = Math.min(...ids);
    const last = Math.max(...ids);
    const before = await rowsBetween(sql, first, last);
    assert.equal(before.length, COUNT);

    const running = startConsumer(t, {
      client,
      topic: stored.topic,
      dlq: `${stored.topic}.dlq`,
      groupId: uniqueName(`replay-${client}`),
      sql,
    });
    await waitHandled(running, COUNT, 60_000);

    assert.equal(running.handled(), COUNT, 'the whole topic was replayed');
    assert.equal(running.changed(), 0, 'no upsert changed a row');
    assert.deepEqual(await rowsBetween(sql, first, last), before);
  });
}

for (const client of CLIENTS) {
  test(`${client}: out-of-order versions of an album end with the newest timestamp`, async (t) => {
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`order-${client}`);
    const [oneByOne, together] = idBlock(2) as [number, number];
    // Recent timestamps: records far in the past could fall to the topic's time retention.
    const base = BigInt(Date.now() - 60_000);
    const at = (version: number) => base + BigInt(version * 1000);
    const version = (id: number, v: number) => albumOf(id, `order-${client}`, v);
    const running = startConsumer(t, {
      client,
      topic,
      dlq,
      groupId: uniqueName(`order-${client}`),
      sql,
    });
    const produce = async (id: number, v: number, handledAfter: number) => {
      await produceAlbums(topic, [version(id, v)], at(v));
      await waitHandled(running, handledAfter);
    };

    // One record per batch: the database's (time, partition, offset) check decides.
    await produce(oneByOne, 3, 1);
    const [newest] = await rowsBetween(sql, oneByOne, oneByOne);
    assert.ok(newest);
    assert.equal(newest.title, version(oneByOne, 3).title);
    assert.equal(BigInt(newest.eventTime.getTime()), at(3));
    await produce(oneByOne, 1, 2);
    await produce(oneByOne, 2, 3);
    assert.deepEqual(await rowsBetween(sql, oneByOne, oneByOne), [newest]);
    // A late re-delivery of an older version (a new offset, an old timestamp) changes nothing.
    await produce(oneByOne, 1, 4);
    assert.deepEqual(await rowsBetween(sql, oneByOne, oneByOne), [newest]);
    assert.equal(running.changed(), 1, 'only the first version was written');

    // All three in one request, newest first: the batch keeps the newest timestamp.
    await produceRaw(
      topic,
      [3, 1, 2].map((v) => ({
        key: String(together),
        value: encodeAlbum(version(together, v)),
        timestamp: at(v),
      })),
    );
    await waitHandled(running, 7);
    await assertRowsEqual(sql, [version(oneByOne, 3), version(together, 3)]);
    const [row] = await rowsBetween(sql, together, together);
    assert.equal(BigInt(row?.eventTime.getTime() ?? 0), at(3), 'the newest version applied');
    assert.equal(running.handled(), 7);
  });
}

for (const client of CLIENTS) {
  test(`${client}: a keyless bare service.Album (float price only) lands rounded to cents`, async (t) => {
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`bare-${client}`);
    const ids = idBlock(4);
    // As the original producers sent them: fields 1-4, a float32 price, no key.
    const prices = [56.99, 0.29, 63.99, 17.99];
    const bare = ids.map((id, i) =>
      toBinary(
        AlbumSchema,
        create(AlbumSchema, {
          id,
          title: ` Bare ${id} `,
          artist: 'Original Producer',
          price: prices[i] as number,
        }),
      ),
    );
    assert.ok(
      bare.every((bytes) => fromBinary(AlbumSchema, bytes).priceCents === undefined),
      'no price_cents on the wire',
    );
    await produceRaw(
      topic,
      bare.map((value) => ({ value })),
    );
    startConsumer(t, { client, topic, dlq, groupId: uniqueName(`bare-${client}`), sql });

    const first = ids[0] as number;
    const last = ids[3] as number;
    await waitFor('the bare albums', async () =>
      (await countBetween(sql, first, last)) === 4 ? true : undefined,
    );
    const rows = await rowsBetween(sql, first, last);
    assert.deepEqual(
      rows.map((r) => ({ id: r.id, title: r.title, artist: r.artist, price: r.price })),
      ids.map((id, i) => ({
        id,
        title: `Bare ${id}`,
        artist: 'Original Producer',
        price: ['56.99', '0.29', '63.99', '17.99'][i],
      })),
    );
  });
}

for (const client of CLIENTS) {
  test(`${client}: poison records go to the DLQ with their origin and the next record lands`, async (t) => {
    const sql = testSql();
    t.after(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`poison-${client}`);
    const [goodId] = idBlock(1) as [number];
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const invalid = toBinary(
      AlbumSchema,
      create(AlbumSchema, { id: 0, title: '', artist: 'Nobody', price: 1 }),
    );
    const good = albumOf(goodId, `poison-${client}`);
    // One key: one partition, so the good record comes after the poison in the same log.
    await produceRaw(topic, [
      { key: 'poison', value: garbage },
      { key: 'poison', value: invalid },
      { key: 'poison', value: encodeAlbum(good) },
    ]);
    const running = startConsumer(t, {
      client,
      topic,
      dlq,
      groupId: uniqueName(`poison-${client}`),
      sql,
    });

    await waitFor('the good album', async () =>
      (await countBetween(sql, goodId, goodId)) === 1 ? true : undefined,
    );
    await assertRowsEqual(sql, [good]);
    await waitHandled(running, 3);
    // Letters reach the DLQ through the outbox, published by the relay after the batch committed.
    await waitFor('the dead letters on the DLQ', async () =>
      (await recordCount(dlq)) >= 2 ? true : undefined,
    );
    assert.equal(await recordCount(dlq), 2, 'two dead letters');

    const sources = await readTopic(topic, 3);
    const letters = await readTopic(dlq, 2);
    assert.equal(letters.length, 2);
    for (const [value, reason] of [
      [garbage, /^not a service\.Album/],
      [invalid, /^(id|title)\b/],
    ] as const) {
      const source = sources.find((m) => m.value && Buffer.compare(m.value, value) === 0);
      const letter = letters.find((m) => m.value && Buffer.compare(m.value, value) === 0);
      assert.ok(source, 'the poison record is on the source topic');
      assert.ok(letter, 'the poison record is on the DLQ with its original bytes');
      assert.equal(letter.key?.toString(), 'poison');
      assert.match(letter.headers.get('x-dlq-reason') ?? '', reason);
      assert.equal(letter.headers.get('x-dlq-source-topic'), topic);
      assert.equal(letter.headers.get('x-dlq-source-partition'), String(source.partition));
      assert.equal(letter.headers.get('x-dlq-source-offset'), String(source.offset));
      assert.equal(letter.headers.get('x-dlq-consumer'), client);
    }
  });
}
