// The consumer process (src/apps/consumer/main.ts) killed with SIGKILL in the middle of a topic and
// started again: every album lands exactly once and no album goes back to an older version.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { platformaticConnection } from '../../../src/adapters/kafka/connection.ts';
import type { AlbumRecord } from '../../../src/domain/album.ts';
import { freshTopics, idBlock, kafka, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import {
  albumOf,
  assertRowsEqual,
  CLIENTS,
  type Client,
  countBetween,
  produceAlbums,
  recordCount,
} from './support.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const COUNT = 5000;
const CHUNK = 500;
/** Every UPDATED-th album gets a second version, produced after the first one. */
const UPDATED = 5;

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `main.ts --client <client>` on the test's topic and group; killed in t.after if alive. */
function startChild(t: TestContext, client: Client, env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'src/apps/consumer/main.ts', '--client', client],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }));
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { process: child, exited, output: () => output };
}

/** Sum of the group's committed offsets on the topic. */
async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  return (group?.topics ?? [])
    .filter((x) => x.name === topic)
    .flatMap((x) => x.partitions)
    .reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
}

// Both clients at once: after the kill, each restarted member waits for the coordinator to expire
// the dead one (session timeout, 45 s), and those waits may as well overlap.
describe('a consumer process killed mid-topic', { concurrency: true }, () => {
  for (const client of CLIENTS) {
    test(`${client}: restarted after SIGKILL, stores every album exactly once, none regressed`, async (t) => {
      const sql = testSql(2);
      t.after(() => sql.end({ timeout: 5 }));
      const admin = new Admin({
        clientId: uniqueName('crash-admin'),
        ...platformaticConnection(kafka),
      });
      t.after(() => admin.close());
      const { topic, dlq } = await freshTopics(`crash-${client}`);
      const groupId = uniqueName(`crash-${client}`);
      const env = {
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: dlq,
        KAFKA_GROUP_ID: groupId,
        CONSUMER_BATCH_SIZE: '200',
      };

      const ids = idBlock(COUNT);
      const first = ids[0] as number;
      const last = ids[COUNT - 1] as number;
      const records: AlbumRecord[] = [];
      const final = new Map<number, AlbumRecord>();
      // Chunks of first versions, each followed by second versions of some of its albums.
      for (let i = 0; i < COUNT; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        for (const id of chunk) records.push(albumOf(id, `crash-${client}`, 1));
        for (const id of chunk.filter((_, j) => j % UPDATED === 0))
          records.push(albumOf(id, `crash-${client}`, 2));
      }
      for (const r of records) final.set(r.id, r);
      await produceAlbums(topic, records);
      assert.equal(await recordCount(topic), records.length);

      // One album's row held by an open transaction of ours: the consumer's upsert of the batch
      // holding it waits for it, so the kill lands mid-topic however fast either side runs.
      const held = ids[COUNT / 2] as number;
      const blocker = await sql.reserve();
      let landedBeforeKill = 0;
      let afterKill = 0;
      try {
        await blocker`begin`;
        await blocker`set local idle_in_transaction_session_timeout = 0`;
        await blocker`insert into music.albums (id, title, artist) values (${held}, 'held', 'held')`;
        const [{ pid } = { pid: 0 }] = await blocker<{ pid: number }[]>`
          select pg_backend_pid() as pid`;
        const doomed = startChild(t, client, env);
        await waitFor(
          'the consumer to wait for the held row',
          async () => {
            if (doomed.process.exitCode !== null)
              throw new Error(`the consumer exited early: ${doomed.output()}`);
            const [row] = await sql<{ n: number }[]>`
              select count(*)::int as n from pg_stat_activity
              where ${pid}::int = any(pg_blocking_pids(pid))`;
            return (row?.n ?? 0) > 0 ? true : undefined;
          },
          120_000,
        );
        landedBeforeKill = await countBetween(sql, first, last);
        doomed.process.kill('SIGKILL');
        assert.equal((await doomed.exited).signal, 'SIGKILL');
        afterKill = await countBetween(sql, first, last);
      } finally {
        // Its blocked statement may still complete once the row is free: as if the process had
        // died after storing a batch and before committing it, which it must survive too.
        await blocker`rollback`;
        blocker.release();
      }
      t.diagnostic(
        `${client}: killed with ${landedBeforeKill} rows seen, ${afterKill} rows after the kill, ` +
          `${await committed(admin, groupId, topic)} of ${records.length} records committed`,
      );
      assert.ok(afterKill < COUNT, `killed before all rows landed (${afterKill} of ${COUNT})`);

      const restartedAt = Date.now();
      const survivor = startChild(t, client, env);
      await waitFor(
        `${COUNT} rows after the restart`,
        async () => {
          if (survivor.process.exitCode !== null)
            throw new Error(`the restarted consumer exited: ${survivor.output()}`);
          return (await countBetween(sql, first, last)) === COUNT ? true : undefined;
        },
        120_000,
      );
      // Everything consumed and committed: no record is left to be delivered again.
      await waitFor(
        'the group to commit the whole topic',
        async () =>
          (await committed(admin, groupId, topic)) === records.length ? true : undefined,
        60_000,
      );
      t.diagnostic(`${client}: all rows ${Date.now() - restartedAt} ms after the restart`);
      await assertRowsEqual(sql, [...final.values()]);
      assert.equal(await recordCount(dlq), 0, 'nothing was dead-lettered');

      // A last look after a pause: nothing overwrote the newest versions late.
      await sleep(500);
      await assertRowsEqual(sql, [...final.values()]);
      survivor.process.kill('SIGTERM');
      const exit = await survivor.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, `clean shutdown: ${survivor.output()}`);
    });
  }
});
