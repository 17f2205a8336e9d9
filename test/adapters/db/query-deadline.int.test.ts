// The store deadline: a query that outlives it is given up and its backend ended, so the pool
// does not keep a connection nobody will answer on.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createSql } from '../../../src/adapters/db/client.ts';
import { withinDeadline } from '../../../src/adapters/db/query-deadline.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';
import { config, testSql, uniqueName, waitFor } from '../../support/stack.ts';

const app = uniqueName('deadline');
const sql = createSql({ url: config.DATABASE_URL, max: 2, applicationName: app });
const observer = testSql(1);
after(() => Promise.all([sql.end({ timeout: 1 }), observer.end()]));

const backends = () => observer<{ pid: number; query: string }[]>`
  select pid, query from pg_stat_activity where application_name = ${app}`;

test('a query past the deadline rejects with deadline_exceeded, and its backend is ended', async () => {
  const started = Date.now();
  await assert.rejects(
    withinDeadline(sql, 300, (watch) => watch(sql`select pg_sleep(60)`)),
    (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, ErrorCode.DeadlineExceeded);
      assert.match(err.message, /within 300 ms; ended its backend \d+/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 5_000, 'rejected at the deadline, not with the statement');
  await waitFor(
    'the sleeping backend ended',
    async () => ((await backends()).some((b) => b.query.includes('pg_sleep')) ? undefined : true),
    10_000,
  );
  // The pool opens a new connection in the ended one's place.
  const [row] = await sql<{ n: number }[]>`select 1 as n`;
  assert.equal(row?.n, 1);
});

test('work done within the deadline keeps its result and its connection', async () => {
  const [before] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const rows = await withinDeadline(sql, 5_000, (watch) =>
    sql.begin(async (tx) => watch(tx<{ pid: number }[]>`select pg_backend_pid() as pid`)),
  );
  assert.equal(rows.length, 1);
  const alive = (await backends()).map((b) => b.pid);
  assert.ok(before && alive.includes(before.pid), `${before?.pid} still open in ${alive}`);
  assert.ok(alive.includes(rows[0]?.pid ?? -1));
});

test('a deadline of 0 is none: the work runs to its end', async () => {
  const [row] = await withinDeadline(sql, 0, (watch) =>
    watch(sql<{ n: number }[]>`select 2 as n from pg_sleep(0.2)`),
  );
  assert.equal(row?.n, 2);
});
