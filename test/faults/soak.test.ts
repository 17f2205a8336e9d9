// Sustained load through the real processes: the REST API and both consumers run as the child
// processes `npm start` runs (src/apps/*/main.ts), on a topic and group of their own, while this
// test POSTs batches at a fixed rate for a bounded time. Asserted: no error anywhere, every
// accepted album stored with its values, the consumer lag bounded and drained at the end, and
// the memory of each process flat.
//
// SOAK_SECONDS (default 300 when CI=true, else 60), SOAK_RATE (albums per second, default
// 38,900: 70% of the benchmark's quick-mode ingest figure, 55,599/s, in docs/benchmarks.md) and
// SOAK_BATCH (albums per POST, default 1,000 as the benchmark's ingest sends) tune it.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type RunningService,
  SERVICES,
  spawnService,
  stopService,
  whenReady,
} from '../../infra/services.ts';
import { createGroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { recordCount } from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { freePort } from '../support/private-infra.ts';
import { config, freshTopics, idBlock, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { lagOf } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? (process.env.CI === 'true' ? 300 : 60));
const RATE = Number(process.env.SOAK_RATE ?? 38_900);
const BATCH = Number(process.env.SOAK_BATCH ?? 1000);
const TICK_MS = 100;
/** Requests in flight at most; past it a tick's batches are counted as not sent. */
const MAX_IN_FLIGHT = 64;
/** The first seconds are warm-up (JIT, pools, client buffers filling) and not judged for memory. */
const WARM_UP_MS = 20_000;
/**
 * Growth allowed between the first and last third of a run, per process (see
 * docs/reliability.md). The REST heap is sampled between collections, so it swings by about
 * ±35 MiB from one sample to the next at these rates: its bound is as wide as the RSS one.
 */
const MAX_RSS_GROWTH = 96 * 1024 * 1024;
const MAX_HEAP_GROWTH = 96 * 1024 * 1024;

interface Sample {
  readonly at: number;
  readonly rss: Record<string, number>;
  readonly restHeap: number;
  readonly lag: number;
}

/** Resident memory of a process, from /proc (bytes). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  assert.ok(kb > 0, `VmRSS of ${pid}`);
  return kb * 1024;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Mean of the first and of the last third of the values after warm-up. */
function thirds(samples: readonly Sample[], pick: (s: Sample) => number, start: number) {
  const judged = samples.filter((s) => s.at >= start).map(pick);
  const third = Math.floor(judged.length / 3);
  assert.ok(third >= 2, `enough samples after warm-up (${judged.length})`);
  return { first: mean(judged.slice(0, third)), last: mean(judged.slice(-third)) };
}

test(`soak: ${RATE} albums/s for ${SECONDS} s through REST, Kafka, both consumers and PostgreSQL`, {
  timeout: (SECONDS + 300) * 1000,
}, async (t) => {
  const defer = cleanupStack(t);
  const { topic, dlq } = await freshTopics('soak');
  const groupId = uniqueName('soak-group');
  const port = await freePort();
  const logsDir = join(ROOT, '.data', `test-soak-${uniqueName('logs')}`);
  await mkdir(logsDir, { recursive: true });
  defer(() => rm(logsDir, { recursive: true, force: true }));
  const env = {
    ...process.env,
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: groupId,
    REST_PORT: String(port),
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
  };
  // What npm start runs, but the gRPC API: it plays no part in writes.
  const services: RunningService[] = SERVICES.filter((spec) => spec.name !== 'grpc').map((spec) =>
    spawnService(ROOT, logsDir, spec, env),
  );
  for (const s of services) defer(() => stopService(s, 30_000));
  await Promise.all(services.map((s) => whenReady(s, 120_000)));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'the REST API ready, consumers in a stable group',
    async () => {
      const res = await fetch(`${base}/readyz`).catch(() => null);
      return res?.status === 200 ? true : undefined;
    },
    120_000,
  );
  const exits: string[] = [];
  for (const s of services)
    s.child.once('exit', (code, signal) => exits.push(`${s.spec.name} ${signal ?? code}`));

  const probe = createGroupProbe(config.KAFKA_BROKERS, uniqueName('soak-probe'));
  defer(() => probe.close());
  const sql = testSql(2);
  defer(() => sql.end({ timeout: 5 }));

  const total = Math.ceil((RATE * SECONDS) / BATCH) * BATCH;
  const ids = idBlock(total);
  const first = ids[0] as number;
  const last = ids.at(-1) as number;
  defer(async () => {
    await sql`delete from music.albums where id between ${first} and ${last}`;
    // Millions of dead rows would otherwise slow every later scan of the table in this run.
    await sql`vacuum (analyze) music.albums`;
  });
  const albumOf = (id: number) => ({
    id,
    title: `Soak ${id}`,
    artist: `Artist ${id % 101}`,
    price: (id % 100_000) / 100,
  });

  const outcome = { accepted: 0, failed: [] as string[], unsent: 0, inFlight: 0 };
  let sent = 0;
  const send = async (batch: number[]) => {
    outcome.inFlight++;
    try {
      const res = await fetch(`${base}/api/v1/albums`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch.map(albumOf)),
      });
      const text = await res.text();
      if (res.status === 202) outcome.accepted += batch.length;
      else outcome.failed.push(`${res.status} ${text.slice(0, 200)}`);
    } catch (err: unknown) {
      outcome.failed.push(`fetch: ${(err as Error).message}`);
    } finally {
      outcome.inFlight--;
    }
  };

  const samples: Sample[] = [];
  const sample = async () => {
    const rss: Record<string, number> = {};
    for (const s of services) rss[s.spec.name] = await rssOf(s.child.pid as number);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const restHeap = Number(/^music_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1]);
    samples.push({ at: Date.now(), rss, restHeap, lag: await lagOf(probe, groupId, topic) });
  };

  // Open model: each tick sends its share whether or not earlier requests have answered.
  const started = Date.now();
  const perTick = (RATE * TICK_MS) / 1000;
  const pending: Promise<void>[] = [];
  let nextSample = started;
  for (let tick = 0; sent < total; tick++) {
    const due = Math.min(total, Math.round((tick + 1) * perTick));
    while (sent + BATCH <= due || (sent < due && due === total)) {
      const batch = ids.slice(sent, sent + BATCH);
      sent += batch.length;
      if (outcome.inFlight >= MAX_IN_FLIGHT) outcome.unsent += batch.length;
      else pending.push(send(batch));
    }
    if (Date.now() >= nextSample) {
      nextSample += 2000;
      void sample().catch((err: unknown) =>
        outcome.failed.push(`sample: ${(err as Error).message}`),
      );
    }
    await sleep(Math.max(0, started + (tick + 1) * TICK_MS - Date.now()));
  }
  await Promise.all(pending);
  const loadMs = Date.now() - started;

  // Everything accepted lands, and the lag drains.
  await waitFor(
    'the lag to drain',
    async () => ((await lagOf(probe, groupId, topic)) === 0 ? true : undefined),
    120_000,
  );
  const drainedMs = Date.now() - started - loadMs;
  await sample();
  const [stored] = await sql<{ n: number }[]>`
    select count(*)::int as n from music.albums
    where id between ${first} and ${last}
      and title = 'Soak ' || id and artist = 'Artist ' || (id % 101) and price = (id % 100000) / 100.0`;

  const maxLag = Math.max(...samples.map((s) => s.lag));
  const judgedFrom = started + WARM_UP_MS;
  const memory = Object.fromEntries(
    services.map((s) => [s.spec.name, thirds(samples, (x) => x.rss[s.spec.name] ?? 0, judgedFrom)]),
  );
  const heap = thirds(samples, (x) => x.restHeap, judgedFrom);
  t.diagnostic(
    `${outcome.accepted} albums accepted in ${(loadMs / 1000).toFixed(1)} s ` +
      `(${Math.round(outcome.accepted / (loadMs / 1000))}/s), ${outcome.unsent} not sent, ` +
      `${outcome.failed.length} failed; lag max ${maxLag}, drained ${drainedMs} ms after the load`,
  );
  for (const [name, m] of Object.entries(memory)) {
    t.diagnostic(`${name}: RSS ${mib(m.first)} → ${mib(m.last)} (${mib(m.last - m.first)})`);
  }
  t.diagnostic(
    `rest heap used: ${mib(heap.first)} → ${mib(heap.last)} (${mib(heap.last - heap.first)})`,
  );

  assert.deepEqual(outcome.failed.slice(0, 5), [], `${outcome.failed.length} failures`);
  assert.equal(
    outcome.unsent,
    0,
    `the API kept up with ${RATE}/s (at most ${MAX_IN_FLIGHT} requests in flight)`,
  );
  assert.equal(outcome.accepted, total);
  assert.equal(stored?.n, total, 'every accepted album is stored with its values');
  assert.deepEqual(exits, [], 'no process exited');
  assert.equal(await recordCount(dlq), 0, 'nothing was dead-lettered');
  // Bounded: never more than 10 s of traffic behind.
  assert.ok(maxLag <= RATE * 10, `lag at most ${RATE * 10} (max ${maxLag})`);
  for (const [name, m] of Object.entries(memory)) {
    assert.ok(m.last - m.first < MAX_RSS_GROWTH, `${name} RSS grew by ${mib(m.last - m.first)}`);
  }
  assert.ok(
    heap.last - heap.first < MAX_HEAP_GROWTH,
    `rest heap grew by ${mib(heap.last - heap.first)}`,
  );

  // No process logged an error.
  for (const s of services) {
    const errors = (await readFile(s.logFile, 'utf8'))
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors.slice(0, 3), [], `${s.spec.name} logged ${errors.length} errors`);
  }
});
