// The REST write path through a Kafka outage, on a private broker (the shared one is never
// stopped): 202 while it is up, 503 problem+json while it is down, 202 again once it is back,
// with the same app and publisher throughout.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalKafka, stopLocalKafka } from '../../infra/kafka.ts';
import { IdAllocator } from '../../src/adapters/db/album-sql.ts';
import { createAlbumRepository } from '../../src/adapters/db/orm/album-repository.ts';
import { createPublisher } from '../../src/adapters/kafka/publisher.ts';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import { buildRestApp } from '../../src/apps/rest/app.ts';
import { recordCount } from '../apps/consumer/support.ts';
import { config, log, testSql, uniqueName } from '../support/stack.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Whether nothing listens on the port (and we may bind it). */
function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** A free port whose successor is free too (the broker's controller listens on port + 1). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((done, fail) => {
      const server = createServer();
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => done(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port > 0 && port < 65535 && (await isFree(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports');
}

test('REST answers 503 while Kafka is down and 202 again once it is back, without a restart', async (t) => {
  const lines: string[] = [];
  const report = (line: string) => lines.push(line);
  const port = await freePortPair();
  const brokers = [`127.0.0.1:${port}`];
  const dataDir = join(ROOT, '.data', `test-kafka-${uniqueName('outage')}`);
  const kafka = { projectRoot: ROOT, dataDir, host: '127.0.0.1', port, report };
  // The shared broker's jars, so that no download happens (its marker file says they are complete).
  const libs = resolve(ROOT, config.MUSIC_DATA_DIR, 'kafka', 'libs');
  assert.ok(existsSync(join(libs, '.pom.sha256')), `Kafka jars resolved in ${libs}`);
  await mkdir(join(dataDir, 'kafka'), { recursive: true });
  await symlink(libs, join(dataDir, 'kafka', 'libs'));

  const sql = testSql(2);
  const publisher = createPublisher({
    brokers,
    clientId: uniqueName('outage-rest'),
    timeoutMs: 3000,
  });
  const ids = new IdAllocator(sql);
  const topic = uniqueName('outage');
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: (count) => ids.take(count),
      publish: (messages) => publisher.publish(topic, messages),
    },
    albums: createAlbumRepository(sql),
    readiness: async () => ({ ready: true, checks: {} }),
  });
  // One hook, so that the parts close in order and the broker is stopped before its folder goes.
  t.after(async () => {
    await app.close();
    await publisher.close();
    await sql.end({ timeout: 5 });
    await stopLocalKafka({ dataDir, report });
    await rm(dataDir, { recursive: true, force: true });
  });

  const post = async (n: number) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/album',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ title: `Outage ${n}`, artist: 'The Brokers', price: 9.99 }),
    });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.body };
  };
  const assert503 = (res: Awaited<ReturnType<typeof post>>) => {
    assert.equal(res.status, 503, res.body);
    assert.match(res.type, /^application\/problem\+json/);
    const problem = JSON.parse(res.body) as { status: number; type: string };
    assert.equal(problem.status, 503);
    assert.equal(problem.type, '/problems/unavailable');
  };

  let started = Date.now();
  await startLocalKafka(kafka);
  await ensureTopics(brokers, [{ name: topic, partitions: 3 }]);
  t.diagnostic(`private broker on port ${port} ready in ${Date.now() - started} ms`);
  assert.equal((await post(1)).status, 202, 'accepted while the broker is up');

  started = Date.now();
  await stopLocalKafka(kafka);
  t.diagnostic(`broker stopped in ${Date.now() - started} ms`);
  for (const n of [2, 3]) {
    const asked = Date.now();
    assert503(await post(n));
    const took = Date.now() - asked;
    t.diagnostic(`POST ${n} while the broker is down: 503 in ${took} ms`);
    // The publisher gives up at its deadline (3 s) at the latest, plus the request's own work.
    assert.ok(took < 6000, `503 within the deadline (${took} ms)`);
  }

  started = Date.now();
  await startLocalKafka(kafka);
  const brokerBack = Date.now();
  t.diagnostic(`broker restarted in ${brokerBack - started} ms`);
  // Until the publisher reconnects it may still answer 503, never anything else.
  let n = 4;
  let res = await post(n);
  while (res.status !== 202 && Date.now() - brokerBack < 60_000) {
    assert503(res);
    await sleep(500);
    res = await post(++n);
  }
  assert.equal(res.status, 202, `accepted again once the broker is back: ${res.body}`);
  t.diagnostic(
    `first 202 ${Date.now() - brokerBack} ms after the broker answered again (${n - 4} 503s before)`,
  );
  assert.equal((await post(++n)).status, 202, 'and it stays so');
  // The first record and the two accepted since the restart are on the topic (a 503 publish may
  // still have been written: a timed-out request is not known to have failed).
  assert.ok((await recordCount(topic, brokers)) >= 3, 'accepted albums are on the topic');
});
