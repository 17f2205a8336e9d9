// Issue 13, item 2: a record the broker accepts, just under its limit, whose album is invalid.
// Its dead letter with the x-dlq-* headers would be over the limit; it used to be retried
// forever, stopping every partition of the consumer. Now it is shortened to fit, and the album
// behind it is stored within seconds, on either client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import { deadLetterOf } from '../../src/apps/consumer/dead-letters.ts';
import { AlbumSchema } from '../../src/gen/service/music_pb.js';
import {
  albumOf,
  assertRowsEqual,
  CLIENTS,
  produceAlbums,
  recordCount,
  startConsumer,
} from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { freshTopics, idBlock, kafka, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { outboxCount, produceExact, readExact } from './dead-letter-support.ts';

/**
 * The broker's default message.max.bytes is 1,048,588 for a record batch; a batch of one record
 * with a short key takes about 95 bytes besides the value, so this value just fits.
 */
const VALUE_BYTES = 1_048_400;

/** A `service.Album` of exactly VALUE_BYTES bytes whose title is far over 200 characters. */
function hugeInvalidAlbum(id: number): Buffer {
  const encode = (n: number) =>
    toBinary(AlbumSchema, create(AlbumSchema, { id, title: 'x'.repeat(n), artist: 'A', price: 1 }));
  let n = VALUE_BYTES - encode(0).length - 3;
  while (encode(n).length < VALUE_BYTES) n++;
  while (encode(n).length > VALUE_BYTES) n--;
  const bytes = encode(n);
  assert.equal(bytes.length, VALUE_BYTES);
  return Buffer.from(bytes);
}

for (const client of CLIENTS) {
  test(`${client}: an invalid album just under the broker's limit is dead-lettered shortened, and the next album is stored within seconds`, async (t) => {
    const defer = cleanupStack(t);
    const sql = testSql(2);
    defer(() => sql.end({ timeout: 5 }));
    const { topic, dlq } = await freshTopics(`oversized-${client}`, 2);
    const [badId, ...goodIds] = idBlock(6) as [number, ...number[]];
    const huge = hugeInvalidAlbum(badId);
    const key = Buffer.from(`huge-${badId}`);

    // The premise: the broker takes the record, but not its dead letter as it used to be made
    // (the record with the x-dlq-* headers added), so that one could never be published.
    const scratch = uniqueName('oversized-scratch');
    await ensureTopics(kafka, [{ name: scratch, partitions: 1 }]);
    await produceExact(scratch, [{ key, value: huge }]);
    const naive = deadLetterOf(
      {
        topic,
        partition: 0,
        offset: 0n,
        timestamp: BigInt(Date.now()),
        key,
        value: huge,
        headers: new Map(),
      },
      'title: must be at most 200 characters',
      client,
    );
    await assert.rejects(
      produceExact(scratch, [
        { key, value: huge, headers: { ...naive.headers, 'x-dlq-truncated': '' } },
      ]),
      /larger than the max message size|MESSAGE_TOO_LARGE/i,
      'the record with the dead-letter headers is over the limit',
    );

    const member = startConsumer(t, { client, topic, dlq, groupId: uniqueName('oversized') });
    defer(() => member.stop());
    await produceExact(topic, [{ key, value: huge, headers: { 'x-request-id': 'req-huge' } }]);
    const producedAt = Date.now();
    const good = goodIds.map((id) => albumOf(id, `oversized-${client}`));
    await produceAlbums(topic, good);

    await waitFor(
      'the albums after the huge record stored',
      async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from music.albums where id = any(${goodIds}::int4[])`;
        return row?.n === good.length ? true : undefined;
      },
      30_000,
    );
    const storedIn = Date.now() - producedAt;
    await assertRowsEqual(sql, good);
    assert.ok(storedIn < 15_000, `stored ${storedIn} ms after the huge record`);

    await waitFor('one dead letter', async () =>
      (await recordCount(dlq)) === 1 ? true : undefined,
    );
    const [letter] = await readExact(dlq, 1);
    assert.ok(letter);
    assert.match(letter.headers['x-dlq-reason'] ?? '', /^title: must be at most 200/);
    assert.equal(letter.headers['x-dlq-truncated'], String(VALUE_BYTES));
    assert.equal(letter.headers['x-dlq-source-topic'], topic);
    assert.equal(letter.headers['x-dlq-source-offset'], '0');
    assert.equal(letter.headers['x-dlq-consumer'], client);
    assert.equal(letter.headers['x-request-id'], 'req-huge');
    assert.deepEqual(letter.key, key);
    const value = letter.value as Buffer;
    assert.ok(value.length > 900_000, `most of the value kept (${value.length} bytes)`);
    assert.ok(value.equals(huge.subarray(0, value.length)), 'the kept bytes are its first bytes');
    await waitFor('an empty outbox', async () =>
      (await outboxCount(sql, dlq)) === 0 ? true : undefined,
    );
    t.diagnostic(`${client}: next albums stored ${storedIn} ms after the huge record`);
  });
}
