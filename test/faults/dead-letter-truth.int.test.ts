// Issue 13, item 5: dead letters that tell the truth, through each real consumer. Forged x-dlq-*
// headers never pass for the consumer's, and keys and values reach the dead-letter topic byte for
// byte: a binary key stays bytes, a null value stays null, an empty one stays empty.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  albumOf,
  assertRowsEqual,
  CLIENTS,
  produceAlbums,
  recordCount,
  startConsumer,
} from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { freshTopics, idBlock, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { type ExactRecord, outboxCount, produceExact, readExact } from './dead-letter-support.ts';

const FORGED = {
  'x-dlq-reason': 'forged: nothing wrong here',
  'x-dlq-source-topic': 'somewhere-else',
  'X-DLQ-Consumer': 'nobody',
};

/** Each case: the record as produced, and the reason its dead letter must give. */
const CASES: readonly { name: string; record: ExactRecord; reason: RegExp }[] = [
  {
    name: 'forged headers',
    record: { key: Buffer.from('forged'), value: Buffer.from([0xde, 0xad]), headers: FORGED },
    reason: /^not a service\.Album/,
  },
  {
    name: 'a binary key and a null value',
    record: { key: Buffer.from([0xff, 0x00, 0xfe, 0x80, 0xc3]), value: null },
    reason: /^tombstone without an album id/,
  },
  {
    name: 'a null key and an empty value',
    record: { key: null, value: Buffer.alloc(0) },
    reason: /^empty message value/,
  },
  {
    name: 'an empty key and binary garbage',
    record: { key: Buffer.alloc(0), value: Buffer.from([0x0d, 0x01, 0x02, 0x03, 0x04]) },
    reason: /^not a service\.Album/,
  },
];

for (const client of CLIENTS) {
  test(`${client}: dead letters keep key and value bytes exactly, and forged x-dlq-* headers never win`, async (t) => {
    const defer = cleanupStack(t);
    const sql = testSql(2);
    defer(() => sql.end({ timeout: 5 }));
    // One partition: the letters come back in the order of their records.
    const { topic, dlq } = await freshTopics(`dlq-truth-${client}`, 1);
    const member = startConsumer(t, { client, topic, dlq, groupId: uniqueName('dlq-truth') });
    defer(() => member.stop());

    await produceExact(
      topic,
      CASES.map((c) => ({ ...c.record, headers: { ...c.record.headers, case: c.name } })),
    );
    const good = idBlock(3).map((id) => albumOf(id, `dlq-truth-${client}`));
    await produceAlbums(topic, good);
    await waitFor(`${CASES.length} dead letters`, async () =>
      (await recordCount(dlq)) >= CASES.length ? true : undefined,
    );
    await assertRowsEqual(sql, good);
    assert.equal(await recordCount(dlq), CASES.length, 'one dead letter per bad record');

    const letters = await readExact(dlq, CASES.length);
    for (const [i, c] of CASES.entries()) {
      const letter = letters.find((l) => l.headers.case === c.name);
      assert.ok(letter, `a dead letter of ${c.name}`);
      assert.deepEqual(letter.key, c.record.key, `${c.name}: the key`);
      assert.deepEqual(letter.value, c.record.value, `${c.name}: the value`);
      assert.match(letter.headers['x-dlq-reason'] ?? '', c.reason, c.name);
      assert.equal(letter.headers['x-dlq-source-topic'], topic, c.name);
      assert.equal(letter.headers['x-dlq-source-partition'], '0', c.name);
      assert.equal(letter.headers['x-dlq-source-offset'], String(i), c.name);
      assert.equal(letter.headers['x-dlq-consumer'], client, c.name);
      const at = Number(letter.headers['x-dlq-at']);
      assert.ok(at > Date.now() - 600_000 && at <= Date.now(), `${c.name}: x-dlq-at ${at}`);
    }
    const forged = letters.find((l) => l.headers.case === 'forged headers');
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(forged?.headers ?? {}).filter(([k]) => k.startsWith('x-dlq-original-')),
      ),
      {
        'x-dlq-original-x-dlq-reason': FORGED['x-dlq-reason'],
        'x-dlq-original-x-dlq-source-topic': FORGED['x-dlq-source-topic'],
        'x-dlq-original-X-DLQ-Consumer': FORGED['X-DLQ-Consumer'],
      },
      "the source's own x-dlq-* headers, kept apart",
    );
    assert.equal(forged?.headers['X-DLQ-Consumer'], undefined);
    await waitFor('nothing left in the outbox', async () =>
      (await outboxCount(sql, dlq)) === 0 ? true : undefined,
    );
  });
}
