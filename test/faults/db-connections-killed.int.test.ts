import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSql } from '../../src/adapters/db/client.ts';
import type { Album } from '../../src/domain/album.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { restStack } from '../support/rest-stack.ts';
import { config, freshTopics, kafka, log, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { consumersStanding, postAlbums, startBothConsumers, storedAlbums } from './support.ts';

test('every database connection killed twice while 3,000 albums stream in through REST: REST keeps accepting, every album lands once', async (t) => {
  const defer = cleanupStack(t);
  const { topic, dlq } = await freshTopics('db-kill');
  const groupId = uniqueName('db-kill-group');
  const consumerApp = uniqueName('fault-db');
  const restApp = uniqueName('fault-db-rest');
  const consumerSql = createSql({ url: config.DATABASE_URL, max: 2, applicationName: consumerApp });
  const restSql = createSql({ url: config.DATABASE_URL, max: 2, applicationName: restApp });
  const observer = testSql(1);
  for (const sql of [consumerSql, restSql, observer]) defer(() => sql.end({ timeout: 1 }));
  const rest = await restStack({
    sql: restSql,
    kafka,
    topic,
    groupId,
    log,
  });
  defer(() => rest.close());
  const { members, tracker } = startBothConsumers(t, defer, {
    topic,
    dlq,
    groupId,
    sql: consumerSql,
    batchSize: 100,
  });

  // 3,000 albums without ids (so REST needs the database for their ids) as 30 POSTs of 100;
  // every connection of the REST API and of the consumers is killed after the 10th and 20th.
  const accepted = new Map<number, Album>();
  const statuses: number[] = [];
  const killed = { rest: 0, consumers: 0 };
  const started = Date.now();
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} at ${Date.now() - started} ms`);
  for (let i = 0; i < 30; i++) {
    const albums = Array.from({ length: 100 }, (_, j) => ({
      title: `db-kill ${i}.${j}`,
      artist: `Artist ${j % 7}`,
      price: (i * 100 + j) / 100,
    }));
    const res = await postAlbums(rest.app, albums);
    statuses.push(res.status);
    for (const a of res.accepted) accepted.set(a.id, a);
    if (i === 9 || i === 19) {
      // The consumers open connections as they store: on a busy machine they may not have one
      // open yet (or again, after the first kill) when the 10th or 20th POST is answered.
      await waitFor(
        'a connection of the consumers to kill',
        async () => {
          const [row] = await observer<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity where application_name = ${consumerApp}`;
          return (row?.n ?? 0) > 0 ? true : undefined;
        },
        60_000,
      );
      const rows = await observer<{ app: string; n: number }[]>`
        select application_name as app, count(pg_terminate_backend(pid))::int as n
        from pg_stat_activity where application_name in (${consumerApp}, ${restApp})
        group by application_name`;
      for (const r of rows) killed[r.app === restApp ? 'rest' : 'consumers'] += r.n;
      mark(`connections killed after POST ${i + 1}`);
    }
    await sleep(50);
  }
  assert.ok(
    killed.rest >= 2 && killed.consumers >= 2,
    `connections killed: ${JSON.stringify(killed)}`,
  );
  assert.deepEqual(statuses, Array(30).fill(202), 'REST accepted every batch');
  assert.equal(accepted.size, 3000);

  mark('30 POSTs answered');
  const ids = [...accepted.keys()];
  await waitFor(
    'all 3,000 rows',
    async () => ((await storedAlbums(observer, ids)).size === 3000 ? true : undefined),
    60_000,
  ).catch(async (err: unknown) => {
    // Where it stands: rows, what each member handled, its state, its connections.
    const stored = (await storedAlbums(observer, ids)).size;
    throw new Error(
      `${(err as Error).message}: ${stored} stored; ${await consumersStanding(observer, members, consumerApp)}; ${marks.join(', ')}`,
      { cause: err },
    );
  });
  assert.deepEqual(await storedAlbums(observer, ids), accepted);
  assert.equal(tracker.seen.size, 3000, 'each record was handled to completion once');
  t.diagnostic(
    `connections killed: ${killed.rest} of REST, ${killed.consumers} of the consumers; ` +
      `${tracker.duplicates} records handled twice`,
  );
});
