// `music status` against services started in the test: REST, gRPC and one consumer of the
// group on real metrics ports (consecutive from METRICS_PORT, as npm start gives them), the
// other consumer not running; the real broker and database behind them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservedPort } from '../../../infra/reserved-ports.ts';
import type { StatusReport } from '../../../src/apps/cli/status-read.ts';
import { createConsumerRuntime } from '../../../src/apps/consumer/runtime.ts';
import { createGrpcRuntime } from '../../../src/apps/grpc/runtime.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  log,
  produceRaw,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { albumOf, produceAlbums } from '../consumer/support.ts';
import { music, musicJson, root } from './support.ts';

const PARTITIONS = 3;

test('music status shows the services, the group and its partitions, lag, dead letters and albums', async (t) => {
  const { topic, dlq } = await freshTopics('status', PARTITIONS);
  const groupId = uniqueName('status');
  const base = await reservedPort(4);
  const sql = testSql(2);
  t.after(() => sql.end({ timeout: 5 }));
  const config = (metricsPort: number) =>
    configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_GROUP_ID: groupId,
      KAFKA_CLIENT_ID: uniqueName('status'),
      CONSUMER_BATCH_WAIT_MS: 20,
      METRICS_PORT: metricsPort,
    });
  const rest = await createRestRuntime(config(base), { log, createTopics: false });
  t.after(() => rest.close());
  const grpc = await createGrpcRuntime(config(base + 1), { log, sql, closeGraceMs: 0 });
  t.after(() => grpc.close());
  // consumer-platformatic only: consumer-confluent (base + 3) is down.
  const consumer = await createConsumerRuntime(config(base + 2), 'platformatic', {
    log,
    createTopics: false,
  });
  t.after(() => consumer.close());

  const ids = idBlock(3);
  await produceAlbums(
    topic,
    ids.map((id) => albumOf(id, 'status')),
  );
  await produceRaw(topic, [{ key: 'bad', value: new Uint8Array() }]);

  const env = {
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: groupId,
    METRICS_PORT: String(base),
  };
  const args = [
    '--rest-url',
    `http://127.0.0.1:${rest.address.port}`,
    '--grpc-url',
    `http://127.0.0.1:${grpc.address.port}`,
    'status',
  ];
  const report = await waitFor(
    'the records stored, the dead letter relayed and the lag at 0',
    async () => {
      const r = await musicJson<StatusReport>(args, env);
      return r.lag === 0 && r.dlq.records === 1 && r.group.members === 1 ? r : undefined;
    },
    90_000,
  );
  const byName = new Map(report.services.map((s) => [s.name, s]));
  for (const name of ['rest', 'grpc', 'consumer-platformatic'] as const) {
    assert.equal(byName.get(name)?.up, true, `${name} up: ${byName.get(name)?.detail}`);
    assert.equal(byName.get(name)?.metrics, true, `${name} metrics`);
  }
  assert.equal(byName.get('consumer-confluent')?.up, false, 'not running');
  assert.equal(byName.get('consumer-confluent')?.endpoint, `http://127.0.0.1:${base + 3}/metrics`);
  assert.deepEqual(byName.get('consumer-platformatic')?.partitions, [0, 1, 2]);
  assert.equal(report.group.id, groupId);
  assert.match(report.group.state ?? '', /^stable$/i);
  assert.deepEqual(
    report.partitions?.map((p) => [p.partition, p.lag, p.heldBy]),
    [0, 1, 2].map((p) => [p, 0, 'consumer-platformatic']),
  );
  assert.equal(
    report.partitions?.reduce((sum, p) => sum + Number(p.end), 0),
    4,
    'four records on the topic',
  );
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from music.albums`;
  assert.equal(report.database.albums, row?.n);
  assert.ok((row?.n ?? 0) >= 3);

  // For people: one screen, the down consumer and the totals in words.
  const human = await music(args, env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^consumer-confluent\s+DOWN/m);
  assert.match(human.stdout, /^consumer-platformatic\s+up\s+ok/m);
  assert.match(human.stdout, new RegExp(`Consumer group ${groupId}: \\w+, 1 member`));
  assert.match(human.stdout, /^Lag: 0 records/m);
  assert.match(human.stdout, /^Dead letters: 1 on /m);

  // --watch: a reading every second, one JSON line each, until interrupted.
  const child = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    [join(root, 'bin', 'music.mjs'), '--json', ...args, '--watch', '1'],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    'two readings',
    async () => (out.split('\n').length > 2 ? true : undefined),
    60_000,
  );
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, 'Ctrl-C ends the watch quietly');
  const readings = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StatusReport);
  assert.ok(readings.length >= 2);
  assert.notEqual(readings[0]?.at, readings[1]?.at, 'each a reading of its own');
});
