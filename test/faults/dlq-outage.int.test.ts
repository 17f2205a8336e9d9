// Issue 13, item 2: a dead-letter topic that cannot be written for a while (here: deleted, then
// created again) holds back nothing. Both consumers keep storing good albums; the bad records'
// letters wait in the PostgreSQL outbox and reach the topic once it is back, in order, once each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { platformaticConnection } from '../../src/adapters/kafka/connection.ts';
import { createGroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import { encodeAlbum } from '../../src/domain/album-codec.ts';
import { albumOf, assertRowsEqual, countBetween, recordCount } from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { freshTopics, idBlock, kafka, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { type ExactRecord, outboxCount, produceExact, readExact } from './dead-letter-support.ts';
import { startBothConsumers } from './support.ts';

const BAD = 6;
const GOOD = 300;

test('the dead-letter topic gone for a while: good albums keep being stored, dead letters arrive once it is back, in order', {
  timeout: 180_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const sql = testSql(2);
  defer(() => sql.end({ timeout: 5 }));
  const { topic, dlq } = await freshTopics('dlq-outage', 3);
  const groupId = uniqueName('dlq-outage');
  const { members } = startBothConsumers(t, defer, { topic, dlq, groupId, sql, batchSize: 50 });
  const probe = createGroupProbe(kafka, uniqueName('dlq-outage-probe'));
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

  const admin = new Admin({
    clientId: uniqueName('dlq-outage-admin'),
    ...platformaticConnection(kafka),
  });
  defer(() => admin.close());
  await admin.deleteTopics({ topics: [dlq] });
  await waitFor('the dead-letter topic deleted', async () =>
    (await admin.listTopics()).includes(dlq) ? undefined : true,
  );

  // Good albums with bad records among them, all of these on one key so that their order counts.
  const ids = idBlock(GOOD);
  const albums = ids.map((id) => albumOf(id, 'dlq-outage'));
  const records: ExactRecord[] = albums.map((a) => ({
    key: Buffer.from(String(a.id)),
    value: Buffer.from(encodeAlbum(a)),
  }));
  for (let i = BAD - 1; i >= 0; i--)
    records.splice(i * 40, 0, {
      key: Buffer.from('bad'),
      value: Buffer.from([0xde, 0xad, i]),
      headers: { seq: String(i) },
    });
  const outageStart = Date.now();
  await produceExact(topic, records);

  await waitFor(
    `${GOOD} good albums stored while the dead-letter topic is gone`,
    async () =>
      (await countBetween(sql, ids[0] as number, ids.at(-1) as number)) === GOOD ? true : undefined,
    60_000,
  );
  await assertRowsEqual(sql, albums);
  t.diagnostic(`${GOOD} albums stored ${Date.now() - outageStart} ms into the outage`);
  await waitFor('the letters kept in the outbox', async () =>
    (await outboxCount(sql, dlq)) === BAD ? true : undefined,
  );
  assert.equal((await admin.listTopics()).includes(dlq), false, 'the topic is still gone');
  // The relays keep trying meanwhile, and none of them gives up or stops its consumer.
  await sleep(3000);
  assert.equal(await outboxCount(sql, dlq), BAD);
  for (const m of members) assert.equal(m.isJoined(), true, `${m.client} still in the group`);

  await ensureTopics(kafka, [{ name: dlq, partitions: 3 }]);
  const backAt = Date.now();
  await waitFor(
    'the letters on the dead-letter topic',
    async () => ((await recordCount(dlq)) >= BAD ? true : undefined),
    60_000,
  );
  t.diagnostic(`letters published ${Date.now() - backAt} ms after the topic came back`);
  await waitFor('an empty outbox', async () =>
    (await outboxCount(sql, dlq)) === 0 ? true : undefined,
  );
  assert.equal(await recordCount(dlq), BAD, 'each letter once');
  const letters = await readExact(dlq, BAD);
  assert.deepEqual(
    letters.sort((a, b) => Number(a.offset - b.offset)).map((l) => l.headers.seq),
    Array.from({ length: BAD }, (_, i) => String(i)),
    'in the order of their records',
  );
  for (const l of letters) {
    assert.match(l.headers['x-dlq-reason'] ?? '', /^not a service\.Album/);
    assert.equal(l.headers['x-dlq-source-topic'], topic);
  }
});
