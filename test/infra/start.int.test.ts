import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { reservedPort } from '../../infra/reserved-ports.ts';
import { platformaticConnection } from '../../src/adapters/kafka/connection.ts';
import type { StatusReport } from '../../src/apps/cli/status-read.ts';
import { musicJson } from '../apps/cli/support.ts';
import { kafka, uniqueName, waitFor } from '../support/stack.ts';

const root = join(import.meta.dirname, '..', '..');
const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Start {
  readonly child: ChildProcess;
  output(): string;
}

/** `npm start`'s orchestrator on this run's database, with its own topics and group. */
function start(
  topic: string,
  group: string,
  restPort: number,
  grpcPort: number,
  metricsPort: number,
): Start {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'infra/start.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: `${topic}.dlq`,
        KAFKA_GROUP_ID: group,
        REST_PORT: String(restPort),
        GRPC_PORT: String(grpcPort),
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.push(child);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { child, output: () => text };
}

/** The REST API's metrics URL, as the summary prints it. */
const metricsUrlOf = (output: string) =>
  output.match(/metrics \(rest\)\s+(http:\/\/\S+\/metrics)/)?.[1];

const readyAt = (output: () => string) =>
  waitFor(
    'music-service is up',
    async () => output().match(/REST API and UI\s+(http:\/\/\S+?)\/\s/)?.[1],
    120_000,
  );

async function portAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

test('npm start brings everything up, a second start shares the infrastructure, and both stop cleanly', async () => {
  const topic = uniqueName('start');
  const group = uniqueName('start-group');
  // Below the ephemeral range and claimed: no outgoing connection or other test takes them.
  const rest = await reservedPort();
  const grpc = await reservedPort();
  // Four in a row: one for each process's metrics.
  const metrics = await reservedPort(4);

  const first = start(topic, group, rest, grpc, metrics);
  const base = await readyAt(first.output);
  assert.equal(base, `http://127.0.0.1:${rest}`);
  assert.match(first.output(), /kafka: reusing the broker/);
  assert.match(first.output(), /postgres: reusing the server/);

  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  const report = (await ready.json()) as { checks: { consumers: { detail: string } } };
  assert.match(report.checks.consumers.detail, /stable with 2 member/);
  // Metrics on their own loopback port, as the summary says; not on the API's.
  const metricsUrl = metricsUrlOf(first.output());
  assert.equal(metricsUrl, `http://127.0.0.1:${metrics}/metrics`);
  const scraped = await fetch(metricsUrl);
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /^music_db_pool_max_connections \d+$/m);
  assert.equal((await fetch(`${base}/metrics`)).status, 404);
  // Every other process serves its own, on the next ports, as the summary says.
  for (const [i, name, metric] of [
    [1, 'grpc', 'grpc_server_handled_total'],
    [2, 'consumer-platformatic', 'music_consumer_records_processed_total'],
    [3, 'consumer-confluent', 'music_consumer_records_processed_total'],
  ] as const) {
    const url = `http://127.0.0.1:${metrics + i}/metrics`;
    assert.match(first.output(), new RegExp(`metrics \\(${name}\\)\\s+${url}`));
    const own = await fetch(url);
    assert.equal(own.status, 200, name);
    assert.match(await own.text(), new RegExp(`^# TYPE ${metric} `, 'm'), name);
  }
  // And the status command finds them all where npm start put them.
  const status = await musicJson<StatusReport>(['status'], {
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    KAFKA_GROUP_ID: group,
    REST_PORT: String(rest),
    GRPC_PORT: String(grpc),
    METRICS_PORT: String(metrics),
  });
  assert.deepEqual(
    status.services.filter((s) => !s.up || !s.metrics).map((s) => `${s.name}: ${s.detail}`),
    [],
    'every process up, its metrics answering',
  );

  const admin = new Admin({
    clientId: 'music-test-start',
    ...platformaticConnection(kafka),
  });
  try {
    const metadata = await admin.metadata({ topics: [topic, `${topic}.dlq`] });
    assert.equal(metadata.topics.get(topic)?.partitionsCount, 6);
    assert.equal(metadata.topics.get(`${topic}.dlq`)?.partitionsCount, 6);
  } finally {
    await admin.close();
  }
  const seed = (await (await fetch(`${base}/api/v1/albums/1`)).json()) as Record<string, unknown>;
  assert.deepEqual(seed, { id: 1, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 });

  // A second start while the first runs: same broker and database, the next free ports.
  const second = start(topic, group, rest, grpc, metrics);
  const secondBase = await readyAt(second.output);
  assert.notEqual(secondBase, base);
  assert.match(second.output(), new RegExp(`REST port ${rest} is taken`));
  assert.match(second.output(), new RegExp(`metrics port ${metrics} is taken`));
  const secondMetrics = metricsUrlOf(second.output());
  assert.ok(secondMetrics && secondMetrics !== metricsUrl, `${secondMetrics}`);
  assert.equal((await fetch(secondMetrics)).status, 200);
  const albums = (await (await fetch(`${secondBase}/api/v1/albums?limit=500`)).json()) as {
    id: number;
  }[];
  assert.equal(albums.filter((a) => a.id <= 4).length, 4, 'the seed rows are not duplicated');

  // SIGKILL of an orchestrator takes its services down with it (their IPC channel closes)...
  second.child.kill('SIGKILL');
  await waitFor(
    'the killed run to release its port',
    async () => ((await portAnswers(`${secondBase}/healthz`)) ? undefined : true),
    30_000,
  );
  // ...and a start after it comes up on the same infrastructure.
  const third = start(topic, group, rest, grpc, metrics);
  const thirdBase = await readyAt(third.output);
  assert.equal((await fetch(`${thirdBase}/readyz`)).status, 200);

  for (const run of [first, third]) {
    run.child.kill('SIGTERM');
    const [code] = await once(run.child, 'exit');
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /stopped/);
  }
  assert.equal(await portAnswers(`${base}/healthz`), false, 'the first run stopped its REST API');
  assert.equal(
    await portAnswers(`${thirdBase}/healthz`),
    false,
    'the third run stopped its REST API',
  );
});
