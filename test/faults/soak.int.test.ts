// Sustained load through the real processes: the REST API and both consumers run as the child
// processes `npm start` runs (src/apps/*/main.ts), on a topic and group of their own.
//
// Nothing here is judged against the speed of the machine. The test first measures what the
// pipeline carries right now (a closed-loop probe: PROBE_CLIENTS clients POST batches back to
// back for PROBE_MS, and the capacity is the albums accepted over the time from the first POST
// until the group's lag is 0, as the benchmark's ingest figure is taken), then POSTs at
// SOAK_LOAD of that capacity, in an open model, for SOAK_SECONDS. Some batches are POSTed a
// second time with new values once their first version was accepted, so that an older version
// overwriting a newer one would show.
//
// Asserted: no request failed; every accepted album is stored with the values of its newest
// accepted version (none regressed to the older one), the topic holds exactly the records
// accepted (nothing produced twice); the lag falls to 0 after the load (failing only if it
// stops falling for a minute); no process exited, logged an error or dead-lettered anything;
// no process leaked memory: its resident memory and V8 heap in use, each read right after a
// full, memory-reducing collection of garbage, grew by less than a bound between the end of the
// warm-up and the end of the run (see `settled`). Reported only: the capacity, the rate
// achieved, the albums not sent because too many requests were waiting (a machine busy with
// something else), the largest lag and how long it took to drain, and each process's resident
// memory as sampled each second (its range, and the mean of the first and last third).
//
// SOAK_SECONDS (default 120 when CI=true, else 30), SOAK_LOAD (fraction of the measured
// capacity, default 0.5) and SOAK_BATCH (albums per POST, default 1,000 as the benchmark's
// ingest sends) tune it.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  type RunningService,
  SERVICES,
  spawnService,
  stopService,
  whenReady,
} from '../../infra/services.ts';
import type { Sql } from '../../src/adapters/db/client.ts';
import { createGroupProbe, type GroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { recordCount } from '../apps/consumer/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { freshTopics, idBlock, kafka, testSql, uniqueName, waitFor } from '../support/stack.ts';
import { lagOf } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? (process.env.CI === 'true' ? 120 : 30));
const LOAD = Number(process.env.SOAK_LOAD ?? 0.5);
const BATCH = Number(process.env.SOAK_BATCH ?? 1000);
/** The capacity probe: as many clients as the benchmark's ingest, for a few seconds. */
const PROBE_CLIENTS = 8;
const PROBE_MS = 5000;
/** Ids the probe may use at most (it stops early past them; its rate is per elapsed time). */
const PROBE_MAX_ALBUMS = 1_000_000;
/** Every UPDATE_EVERY-th batch is POSTed again with new values once its first POST was accepted. */
const UPDATE_EVERY = 4;
const TICK_MS = 100;
const SAMPLE_MS = 1000;
/** Requests in flight at most; past it a tick's batches are counted as not sent. */
const MAX_IN_FLIGHT = 64;
/**
 * The first part of the run is warm-up (pools, client buffers, the old generation growing) and
 * not judged for memory: 20 s, or a third of a shorter run.
 */
const WARM_UP_MS = Math.min(20_000, (SECONDS * 1000) / 3);
/**
 * Growth allowed per process between the end of the warm-up and the end of the run, each read
 * after a full collection (see `settled` and docs/reliability.md). Sampled as it runs, a
 * process's RSS is no measure of a leak over a couple of minutes: V8 lets promoted garbage pile
 * up in the old generation and grows the young one (to 128 MiB on a large machine) until a
 * mark-compact that may hand 150 MiB back at once, every 90 s or so at 1,000–3,400 albums/s, so
 * the mean of the last third of a run minus that of the first ranged from −60 to +115 MiB
 * with no leak at all. After a memory-reducing collection what is left is the live heap, native
 * memory and the allocators' high-water marks: glibc's main arena keeps ~30 MiB of
 * fragmentation in the librdkafka consumer once Buffers freed in bulk by a mark-compact
 * left holes in it, hence the room left in the RSS bound.
 */
const MAX_RSS_GROWTH = 64 * 1024 * 1024;
const MAX_HEAP_GROWTH = 16 * 1024 * 1024;
/** The lag must keep falling after a load: it fails if it has not for this long. */
const DRAIN_STALL_MS = 60_000;

interface Sample {
  readonly at: number;
  readonly rss: Record<string, number>;
  readonly lag: number;
}

/** A process's memory right after a full collection (bytes). */
interface Settled {
  readonly rss: number;
  readonly heapUsed: number;
}

/**
 * A service's V8 inspector (Chrome DevTools Protocol), which each service opens on a loopback
 * port of its own (NODE_OPTIONS=--inspect): the test collects the garbage of a process there.
 */
interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

/** The inspector of process `pid` on `port` (checked: a port taken twice would open one). */
async function connectInspector(port: number, pid: number): Promise<Inspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  assert.ok(url, `an inspector target on port ${port}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`inspector on port ${port} refused the connection`));
  });
  let lastId = 0;
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  ws.onmessage = (event: MessageEvent) => {
    const reply = JSON.parse(String(event.data)) as { id?: number } & Record<string, unknown>;
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  };
  const inspector: Inspector = {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++lastId;
        waiting.set(id, (reply) => {
          waiting.delete(id);
          if (reply.error) reject(new Error(`${method}: ${JSON.stringify(reply.error)}`));
          else resolve((reply.result ?? {}) as Record<string, unknown>);
        });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
  const { result } = await inspector.call('Runtime.evaluate', {
    expression: 'process.pid',
    returnByValue: true,
  });
  assert.equal((result as { value?: unknown } | undefined)?.value, pid, `inspector on ${port}`);
  return inspector;
}

/**
 * The memory of a process after a full, memory-reducing collection (HeapProfiler.collectGarbage
 * is V8's low-memory notification: it compacts the old generation, shrinks the young one and
 * hands freed pages back), done twice so that what the first one's finalizers freed is gone
 * too. What is left is what the process holds: a leak shows in it whatever the collector's
 * phase, which the resident memory sampled during the run depends on by 150 MiB and more.
 */
async function settled(pid: number, inspector: Inspector): Promise<Settled> {
  for (let round = 0; round < 2; round++) {
    await inspector.call('HeapProfiler.collectGarbage');
    await sleep(200);
  }
  const used = await inspector.call('Runtime.evaluate', {
    expression: 'process.memoryUsage().heapUsed',
    returnByValue: true,
  });
  const heapUsed = Number((used.result as { value?: unknown } | undefined)?.value);
  assert.ok(heapUsed > 0, `heap used of ${pid}`);
  return { rss: await rssOf(pid), heapUsed };
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
const perSecond = (albums: number, ms: number) => Math.round(albums / (Math.max(1, ms) / 1000));

/** Mean of the first and of the last third of the values after warm-up. */
function thirds(samples: readonly Sample[], pick: (s: Sample) => number, start: number) {
  const judged = samples.filter((s) => s.at >= start).map(pick);
  const third = Math.floor(judged.length / 3);
  assert.ok(third >= 2, `enough samples after warm-up (${judged.length})`);
  return { first: mean(judged.slice(0, third)), last: mean(judged.slice(-third)) };
}

/**
 * Waits for the group's lag on the topic to reach 0; resolves with the milliseconds it took.
 * However slow the machine, a lag that keeps falling is fine; one that stops falling for
 * DRAIN_STALL_MS, a process that exits, or no end after `maxMs` fails.
 */
async function drained(
  probe: GroupProbe,
  groupId: string,
  topic: string,
  exits: readonly string[],
  maxMs: number,
): Promise<number> {
  const started = Date.now();
  let lowest = Number.POSITIVE_INFINITY;
  let fellAt = started;
  for (;;) {
    const lag = await lagOf(probe, groupId, topic);
    const now = Date.now();
    if (lag === 0) return now - started;
    if (lag < lowest) {
      lowest = lag;
      fellAt = now;
    }
    assert.deepEqual(exits, [], `a process exited with a lag of ${lag}`);
    assert.ok(now - fellAt < DRAIN_STALL_MS, `the lag stayed at ${lowest} for ${now - fellAt} ms`);
    assert.ok(now - started < maxMs, `the lag was still ${lag} after ${maxMs} ms`);
    await sleep(100);
  }
}

/** Version 1 of album `id`, or version 2 with other values in every field but the artist. */
const albumOf = (id: number, version: 1 | 2) => ({
  id,
  title: version === 1 ? `Soak ${id}` : `Soak ${id} v2`,
  artist: `Artist ${id % 101}`,
  price: ((id % 100_000) + version - 1) / 100,
});

/**
 * What PostgreSQL holds for the ids [first, last], posted in batches of BATCH from `first`:
 * rows, rows with the values of the newest version accepted (version 2 for the batches whose
 * first id is in `updated`, else 1), and rows of those batches still at version 1 (regressed).
 */
async function storedOf(sql: Sql, first: number, last: number, updated: readonly number[]) {
  const [row] = await sql<{ rows: number; right: number; regressed: number }[]>`
    select count(*)::int as rows,
      count(*) filter (where
        a.title = 'Soak ' || a.id || case when u.s is null then '' else ' v2' end
        and a.artist = 'Artist ' || (a.id % 101)
        and a.price = ((a.id % 100000) + case when u.s is null then 0 else 1 end) / 100.0
      )::int as right,
      count(*) filter (where u.s is not null and a.title = 'Soak ' || a.id)::int as regressed
    from music.albums a
    left join unnest(${updated as number[]}::int4[]) as u(s)
      on u.s = ${first}::int4 + ((a.id - ${first}::int4) / ${BATCH}::int4) * ${BATCH}::int4
    where a.id between ${first} and ${last}`;
  return row ?? { rows: 0, right: 0, regressed: 0 };
}

test(`soak: ${SECONDS} s at ${LOAD * 100}% of the capacity measured first, through REST, Kafka, both consumers and PostgreSQL`, {
  // Bounds a hang only: start-up, the probe, the load, and drains that keep progressing.
  timeout: (SECONDS * 3 + 600) * 1000,
}, async (t) => {
  const defer = cleanupStack(t);
  const { topic, dlq } = await freshTopics('soak');
  const groupId = uniqueName('soak-group');
  const port = await freePort();
  const metricsPort = await freePort();
  const logsDir = join(ROOT, '.data', `test-soak-${uniqueName('logs')}`);
  await mkdir(logsDir, { recursive: true });
  defer(() => rm(logsDir, { recursive: true, force: true }));
  const inspectPorts = new Map<string, number>();
  for (const spec of SERVICES) {
    let inspectPort = await freePort();
    while ([port, metricsPort, ...inspectPorts.values()].includes(inspectPort))
      inspectPort = await freePort();
    inspectPorts.set(spec.name, inspectPort);
  }
  const env = {
    ...process.env,
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: groupId,
    REST_PORT: String(port),
    METRICS_PORT: String(metricsPort),
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
  };
  // What npm start runs, but the gRPC API: it plays no part in writes. Every process serves
  // metrics, each on a port of its own: the REST API's a free one found here, the consumers' any
  // free one.
  // Each opens V8's inspector on a loopback port of its own, for `settled` to collect its garbage.
  const services: RunningService[] = SERVICES.filter((spec) => spec.name !== 'grpc').map((spec) =>
    spawnService(ROOT, logsDir, spec, {
      ...env,
      ...(spec.name === 'rest' ? {} : { METRICS_PORT: '0' }),
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        `--inspect=127.0.0.1:${inspectPorts.get(spec.name) as number}`,
      ]
        .filter(Boolean)
        .join(' '),
    }),
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
  const inspectors = new Map<string, Inspector>();
  for (const s of services) {
    const inspector = await connectInspector(
      inspectPorts.get(s.spec.name) as number,
      s.child.pid as number,
    );
    inspectors.set(s.spec.name, inspector);
    defer(() => inspector.close());
  }
  /** Every process's memory after a full collection, one process after another. */
  const settleAll = async () => {
    const out: Record<string, Settled> = {};
    for (const s of services)
      out[s.spec.name] = await settled(
        s.child.pid as number,
        inspectors.get(s.spec.name) as Inspector,
      );
    return out;
  };

  const probe = createGroupProbe(kafka, uniqueName('soak-probe'));
  defer(() => probe.close());
  const sql = testSql(2);
  defer(() => sql.end({ timeout: 5 }));
  const ranges: [number, number][] = [];
  defer(async () => {
    for (const [first, last] of ranges)
      await sql`delete from music.albums where id between ${first} and ${last}`;
    // Millions of dead rows would otherwise slow every later scan of the table in this run.
    await sql`vacuum (analyze) music.albums`;
  });

  const failed: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** POSTs one batch; true when it was accepted, else the failure is recorded. */
  const post = async (ids: readonly number[], version: 1 | 2): Promise<boolean> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = await fetch(`${base}/api/v1/albums`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ids.map((id) => albumOf(id, version))),
      });
      const text = await res.text();
      if (res.status === 202) return true;
      failed.push(`${res.status} ${text.slice(0, 200)}`);
    } catch (err: unknown) {
      failed.push(`fetch: ${(err as Error).message}`);
    } finally {
      inFlight--;
    }
    return false;
  };

  // 1. Capacity: closed loop, each client POSTing its next batch as soon as one is answered.
  const probeIds = idBlock(PROBE_MAX_ALBUMS);
  ranges.push([probeIds[0] as number, probeIds.at(-1) as number]);
  let probeNext = 0;
  let probeAccepted = 0;
  const probeStarted = Date.now();
  await Promise.all(
    Array.from({ length: PROBE_CLIENTS }, async () => {
      while (Date.now() - probeStarted < PROBE_MS && probeNext + BATCH <= probeIds.length) {
        const batch = probeIds.slice(probeNext, probeNext + BATCH);
        probeNext += BATCH;
        if (await post(batch, 1)) probeAccepted += batch.length;
      }
    }),
  );
  const probeLoadMs = Date.now() - probeStarted;
  const probeDrainMs = await drained(probe, groupId, topic, exits, 120_000);
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failures while measuring`);
  const capacity = probeAccepted / ((probeLoadMs + probeDrainMs) / 1000);
  const rate = LOAD * capacity;
  t.diagnostic(
    `capacity ${Math.round(capacity)} albums/s end to end: ${probeAccepted} accepted in ` +
      `${probeLoadMs} ms (${perSecond(probeAccepted, probeLoadMs)}/s) by ${PROBE_CLIENTS} ` +
      `clients, lag 0 ${probeDrainMs} ms later; soak rate ${Math.round(rate)}/s`,
  );

  // 2. The soak: an open model, each tick sending its share whether or not earlier requests
  // have answered, new batches and second versions of accepted ones alike.
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const soakCount = Math.max(BATCH, Math.ceil((rate * SECONDS) / BATCH) * BATCH);
  let soakIds = idBlock(soakCount);
  // Two random blocks may overlap; the checks below need them apart.
  const [probeFirst, probeLast] = ranges[0] as [number, number];
  while ((soakIds[0] as number) <= probeLast && (soakIds.at(-1) as number) >= probeFirst)
    soakIds = idBlock(soakCount);
  const first = soakIds[0] as number;
  const last = soakIds.at(-1) as number;
  ranges.push([first, last]);
  const counts = { newSent: 0, newAccepted: 0, updatesAccepted: 0, unsent: 0 };
  /** Batch numbers whose first version was accepted, waiting for their second. */
  const updatesDue: number[] = [];
  /** First ids of the batches whose second version was accepted. */
  const updated: number[] = [];
  const sendBatch = async (batchNo: number, version: 1 | 2) => {
    const ids = soakIds.slice(batchNo * BATCH, (batchNo + 1) * BATCH);
    if (!(await post(ids, version))) return;
    if (version === 2) {
      counts.updatesAccepted += ids.length;
      updated.push(ids[0] as number);
    } else {
      counts.newAccepted += ids.length;
      if (batchNo % UPDATE_EVERY === 0) updatesDue.push(batchNo);
    }
  };

  const samples: Sample[] = [];
  const sample = async () => {
    const rss: Record<string, number> = {};
    for (const s of services) rss[s.spec.name] = await rssOf(s.child.pid as number);
    samples.push({ at: Date.now(), rss, lag: await lagOf(probe, groupId, topic) });
  };
  /** Each process's memory after a full collection, at the end of the warm-up. */
  let warmedUp: Promise<Record<string, Settled>> | null = null;

  const started = Date.now();
  maxInFlight = 0; // the soak's own, not the probe's
  const perTick = (rate * TICK_MS) / 1000;
  const pending: Promise<void>[] = [];
  let scheduled = 0;
  let nextSample = started;
  for (let tick = 0; tick < ticks; tick++) {
    const due = Math.round((tick + 1) * perTick);
    while (scheduled + BATCH <= due) {
      scheduled += BATCH;
      const update = updatesDue.shift();
      const batchNo = update ?? counts.newSent / BATCH;
      if (update === undefined) {
        if (counts.newSent + BATCH > soakIds.length) break;
        counts.newSent += BATCH;
      }
      if (inFlight >= MAX_IN_FLIGHT) counts.unsent += BATCH;
      else pending.push(sendBatch(batchNo, update === undefined ? 1 : 2));
    }
    if (Date.now() >= nextSample) {
      nextSample += SAMPLE_MS;
      void sample().catch((err: unknown) => failed.push(`sample: ${(err as Error).message}`));
    }
    // Under load, as the end of the warm-up: the pause of a collection (a few hundred ms per
    // process) is load the lag absorbs.
    if (warmedUp === null && Date.now() - started >= WARM_UP_MS) {
      warmedUp = settleAll();
      warmedUp.catch(() => {}); // awaited below
    }
    await sleep(Math.max(0, started + (tick + 1) * TICK_MS - Date.now()));
  }
  await Promise.all(pending);
  const loadMs = Date.now() - started;

  // Everything accepted lands, and the lag drains.
  const drainMs = await drained(probe, groupId, topic, exits, SECONDS * 2000 + 120_000);
  await sample();
  assert.ok(warmedUp, 'memory read at the end of the warm-up');
  const before = await warmedUp;
  const after = await settleAll();
  const accepted = probeAccepted + counts.newAccepted + counts.updatesAccepted;
  const probeStored = await storedOf(sql, probeFirst, probeLast, []);
  const soakStored = await storedOf(sql, first, last, updated);
  const onTopic = await recordCount(topic);

  const maxLag = Math.max(...samples.map((s) => s.lag));
  const judgedFrom = started + WARM_UP_MS;
  const memory = Object.fromEntries(
    services.map((s) => [s.spec.name, thirds(samples, (x) => x.rss[s.spec.name] ?? 0, judgedFrom)]),
  );
  const soakAccepted = counts.newAccepted + counts.updatesAccepted;
  t.diagnostic(
    `asked ${Math.round(rate)}/s for ${SECONDS} s: ${soakAccepted} albums accepted ` +
      `(${counts.updatesAccepted} of them second versions) in ${(loadMs / 1000).toFixed(1)} s = ` +
      `${perSecond(soakAccepted, loadMs)}/s; ${counts.unsent} not sent (${MAX_IN_FLIGHT} ` +
      `requests waiting), at most ${maxInFlight} in flight; ${failed.length} failed`,
  );
  t.diagnostic(
    `lag max ${maxLag} (${(maxLag / Math.max(1, rate)).toFixed(1)} s of traffic), 0 ` +
      `${drainMs} ms after the load; ${onTopic} records on the topic, ${accepted} accepted`,
  );
  for (const s of services) {
    const name = s.spec.name;
    const m = memory[name] as { first: number; last: number };
    const rss = samples.filter((x) => x.at >= judgedFrom).map((x) => x.rss[name] ?? 0);
    const b = before[name] as Settled;
    const a = after[name] as Settled;
    t.diagnostic(
      `${name}: after a full collection RSS ${mib(b.rss)} → ${mib(a.rss)} ` +
        `(${mib(a.rss - b.rss)}), heap used ${mib(b.heapUsed)} → ${mib(a.heapUsed)} ` +
        `(${mib(a.heapUsed - b.heapUsed)}); sampled RSS ${mib(Math.min(...rss))}–` +
        `${mib(Math.max(...rss))}, thirds ${mib(m.first)} → ${mib(m.last)} ` +
        `(${mib(m.last - m.first)})`,
    );
  }

  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failures`);
  assert.ok(counts.newAccepted > 0, 'albums were sent and accepted');
  assert.deepEqual(
    probeStored,
    { rows: probeAccepted, right: probeAccepted, regressed: 0 },
    'every album accepted while measuring is stored with its values',
  );
  assert.deepEqual(
    soakStored,
    { rows: counts.newAccepted, right: counts.newAccepted, regressed: 0 },
    'every accepted album is stored once, with the values of its newest version',
  );
  assert.equal(onTopic, accepted, 'the topic holds each accepted album once (none produced twice)');
  assert.deepEqual(exits, [], 'no process exited');
  assert.equal(await recordCount(dlq), 0, 'nothing was dead-lettered');
  for (const s of services) {
    const b = before[s.spec.name] as Settled;
    const a = after[s.spec.name] as Settled;
    assert.ok(a.rss - b.rss < MAX_RSS_GROWTH, `${s.spec.name} RSS grew by ${mib(a.rss - b.rss)}`);
    assert.ok(
      a.heapUsed - b.heapUsed < MAX_HEAP_GROWTH,
      `${s.spec.name} heap used grew by ${mib(a.heapUsed - b.heapUsed)}`,
    );
  }

  // No process logged an error.
  for (const s of services) {
    const errors = (await readFile(s.logFile, 'utf8'))
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors.slice(0, 3), [], `${s.spec.name} logged ${errors.length} errors`);
  }
});
