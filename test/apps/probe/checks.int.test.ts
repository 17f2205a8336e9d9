// The health probes of the containers, against real services: the REST API, the gRPC server on
// a database that answers and one that does not, and a consumer in a group on the real broker.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createSql } from '../../../src/adapters/db/client.ts';
import { reachable } from '../../../src/apps/probe/check.ts';
import { consumerJoined } from '../../../src/apps/probe/consumer-joined.ts';
import { grpcServing } from '../../../src/apps/probe/grpc-serving.ts';
import { restAlive } from '../../../src/apps/probe/rest-alive.ts';
import { buildOfflineRestApp } from '../../support/rest-app.ts';
import { config, freshTopics, testSql, uniqueName, waitFor } from '../../support/stack.ts';
import { startConsumer } from '../consumer/support.ts';
import { startServer } from '../grpc/harness.ts';

const run = promisify(execFile);
const within = () => AbortSignal.timeout(10_000);
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

test('a wildcard listen address is probed on loopback; others as they are', () => {
  assert.equal(reachable('0.0.0.0'), '127.0.0.1');
  assert.equal(reachable('::'), '[::1]');
  assert.equal(reachable('10.1.2.3'), '10.1.2.3');
  assert.equal(reachable('fd00::1'), '[fd00::1]');
  assert.equal(reachable('rest.music.svc'), 'rest.music.svc');
});

test('rest: healthy while the API answers /healthz, failing once it is gone', async (t) => {
  // Not ready, yet alive: liveness must not depend on what readiness checks.
  const app = await buildOfflineRestApp({ ready: false, checks: {} });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const alive = await restAlive({ ...config, REST_HOST: '0.0.0.0', REST_PORT: port }, within());
  assert.equal(alive.ok, true, alive.detail);
  await app.close();
  await assert.rejects(restAlive({ ...config, REST_HOST: '127.0.0.1', REST_PORT: port }, within()));
});

test('grpc: SERVING while its database answers, NOT_SERVING while it does not', async (t) => {
  const sql = testSql(1);
  t.after(() => sql.end());
  const server = await startServer(sql);
  t.after(() => server.close());
  const serving = await grpcServing(
    { ...config, GRPC_HOST: '0.0.0.0', GRPC_PORT: portOf(server.address) },
    within(),
  );
  assert.equal(serving.ok, true, serving.detail);

  const noDatabase = createSql({
    url: 'postgres://nobody:nothing@127.0.0.1:1/none',
    max: 1,
    applicationName: 'music-test',
  });
  t.after(() => noDatabase.end());
  const orphan = await startServer(noDatabase);
  t.after(() => orphan.close());
  const notServing = await grpcServing(
    { ...config, GRPC_HOST: '127.0.0.1', GRPC_PORT: portOf(orphan.address) },
    within(),
  );
  assert.equal(notServing.ok, false);
  assert.match(notServing.detail, /NOT_SERVING/);
});

test('consumer: healthy when the broker lists a member of the group from this host', async (t) => {
  const { topic, dlq } = await freshTopics('probe');
  const groupId = uniqueName('probe-group');
  const sql = testSql(2);
  t.after(() => sql.end());
  const consumer = startConsumer(t, { client: 'platformatic', topic, dlq, groupId, sql });
  await waitFor('the consumer to join', async () => (consumer.isJoined() ? true : undefined));
  const joined = await consumerJoined({ ...config, KAFKA_GROUP_ID: groupId }, within());
  assert.equal(joined.ok, true, joined.detail);

  const empty = uniqueName('empty-group');
  const alone = await consumerJoined({ ...config, KAFKA_GROUP_ID: empty }, within());
  assert.equal(alone.ok, false);
  assert.match(alone.detail, /no member of group/);
});

test('the probe command exits 0 when healthy, 1 when not, 2 when misused', async (t) => {
  const sql = testSql(1);
  t.after(() => sql.end());
  const server = await startServer(sql);
  t.after(() => server.close());
  const probe = (args: string[], env: Record<string, string>) =>
    run(process.execPath, ['src/apps/probe/main.ts', ...args], {
      env: { ...process.env, ...env },
    }).then(
      ({ stdout }) => ({ code: 0, out: stdout }),
      (err: { code: number; stdout: string; stderr: string }) => ({
        code: err.code,
        out: err.stdout + err.stderr,
      }),
    );

  let started = Date.now();
  const healthy = await probe(['grpc'], { GRPC_PORT: String(portOf(server.address)) });
  const healthyMs = Date.now() - started;
  assert.deepEqual(healthy.code, 0, healthy.out);
  assert.match(healthy.out, /^grpc: healthy: .* SERVING\n$/);

  started = Date.now();
  const noBroker = await probe(['consumer', '--timeout-ms', '3000'], {
    KAFKA_BROKERS: '127.0.0.1:1',
  });
  const noBrokerMs = Date.now() - started;
  assert.equal(noBroker.code, 1, noBroker.out);
  assert.match(noBroker.out, /^consumer: unhealthy: /);
  // Its 3 s timeout plus what starting a probe costs on this machine now (the healthy run's
  // time, start-up included), with room to spare: a busy machine slows the start-up, not the
  // timeout.
  const bound = 3000 + 3 * healthyMs + 5000;
  assert.ok(
    noBrokerMs < bound,
    `a broker that is not there fails the check at its timeout (${noBrokerMs} ms, bound ${bound})`,
  );

  const misused = await probe(['database'], {});
  assert.equal(misused.code, 2);
  assert.match(misused.out, /usage: probe <rest\|grpc\|consumer>/);
  const badConfig = await probe(['rest'], { REST_PORT: 'eighty' });
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.out, /REST_PORT/);
});
