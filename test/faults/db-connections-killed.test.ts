import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSql } from '../../src/adapters/db/client.ts';
import {
  albumOf,
  assertRowsEqual,
  countBetween,
  newTracker,
  produceAlbums,
  startConsumer,
} from '../apps/consumer/support.ts';
import { config, freshTopics, idBlock, testSql, uniqueName, waitFor } from '../support/stack.ts';

test('every database connection of the consumers killed twice mid-stream: every album lands once', async (t) => {
  const { topic, dlq } = await freshTopics('db-kill');
  const appName = uniqueName('fault-db');
  const consumerSql = createSql({ url: config.DATABASE_URL, max: 2, applicationName: appName });
  const observer = testSql(1);
  t.after(async () => {
    await consumerSql.end({ timeout: 1 });
    await observer.end();
  });
  const groupId = uniqueName('db-kill-group');
  const tracker = newTracker();
  for (const client of ['platformatic', 'confluent'] as const) {
    startConsumer(t, { client, topic, dlq, groupId, sql: consumerSql, batchSize: 100, tracker });
  }
  const ids = idBlock(3000);
  const albums = ids.map((id) => albumOf(id, 'db-kill'));
  const first = ids[0] as number;
  const last = ids.at(-1) as number;

  let killed = 0;
  // 3,000 albums stream in as 30 sends; connections are killed after the 10th and the 20th.
  for (let i = 0; i < 30; i++) {
    await produceAlbums(topic, albums.slice(i * 100, (i + 1) * 100));
    if (i === 9 || i === 19) {
      const [row] = await observer<{ n: number }[]>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where application_name = ${appName}`;
      killed += row?.n ?? 0;
    }
    await sleep(50);
  }
  assert.ok(killed >= 2, `connections were killed (${killed})`);
  await waitFor(
    'all 3,000 rows',
    async () => ((await countBetween(observer, first, last)) === 3000 ? true : undefined),
    60_000,
  );
  await assertRowsEqual(observer, albums);
  assert.equal(tracker.seen.size, 3000, 'each record was handled to completion once');
});
