// /metrics against the real broker and database, through the REST runtime src/apps/rest/main.ts
// starts, scraped on its metrics port (METRICS_PORT) over HTTP: each test has its own registry,
// topics and consumer group, so every value asserted is exact.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import postgres from 'postgres';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { platformaticConnection } from '../../../src/adapters/kafka/connection.ts';
import type { GroupProbe } from '../../../src/adapters/kafka/group-probe.ts';
import { createPlatformaticConsumer } from '../../../src/adapters/kafka/platformatic-consumer.ts';
import type { RestApp } from '../../../src/apps/rest/app.ts';
import type { TrackDb } from '../../../src/apps/rest/metrics/db-metrics.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import {
  config,
  configWith,
  freshTopics,
  idBlock,
  kafka,
  log,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { metricValue, parseMetrics, type Sample, samplesOf } from './prometheus-text.ts';

const POOL_MAX = 3;

interface Stack {
  readonly app: RestApp;
  readonly metricsUrl: string;
  readonly topic: string;
  readonly dlq: string;
  readonly groupId: string;
  readonly trackDb: TrackDb;
  scrape(): Promise<Sample[]>;
}

interface StackOptions {
  readonly brokers?: readonly string[];
  readonly partitions?: number;
  readonly cacheMs?: number;
  /** The probe's own request timeout; the metrics' deadline (2 s) applies whatever it is. */
  readonly probeTimeoutMs?: number;
  /** Wraps the cluster probe, e.g. to count its calls. */
  readonly probe?: (real: GroupProbe) => GroupProbe;
  /** The runtime's database client (the caller closes it); its own otherwise. */
  readonly sql?: Sql;
  readonly token?: string;
}

/** The REST runtime with a registry of its own, on fresh topics and a group no one joined yet. */
async function startStack(t: TestContext, label: string, o: StackOptions = {}): Promise<Stack> {
  // Topics are created on the real broker even when the app is pointed at a dead one.
  const { topic, dlq } = await freshTopics(label, o.partitions ?? 6);
  const groupId = uniqueName(`${label}-group`);
  const rest = await createRestRuntime(
    configWith({
      KAFKA_BROKERS: o.brokers ?? config.KAFKA_BROKERS,
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_GROUP_ID: groupId,
      KAFKA_CLIENT_ID: uniqueName(label),
      DB_POOL_MAX: POOL_MAX,
      PRODUCE_TIMEOUT_MS: 1500,
      METRICS_TOKEN: o.token,
    }),
    {
      log,
      sql: o.sql,
      createTopics: false,
      probe: o.probe,
      probeTimeoutMs: o.probeTimeoutMs ?? 1500,
      clusterCacheMs: o.cacheMs,
    },
  );
  t.after(() => rest.close());
  const { app } = rest;
  const metricsUrl = rest.metricsServer.url;
  return {
    app,
    metricsUrl,
    topic,
    dlq,
    groupId,
    trackDb: rest.trackDb,
    async scrape() {
      const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
      const res = await fetch(metricsUrl, { headers });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return parseMetrics(body);
    },
  };
}

const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body),
});
const album = (n: number) => ({ title: `Metrics ${n}`, artist: 'Prometheus', price: 1.5 });

/** Puts `count` records on one partition of `topic`. */
async function produceTo(topic: string, partition: number, count: number): Promise<void> {
  const producer = new Producer({
    clientId: uniqueName('metrics-producer'),
    ...platformaticConnection(kafka),
    acks: ProduceAcks.ALL,
  });
  try {
    await producer.send({
      messages: Array.from({ length: count }, (_, i) => ({
        topic,
        partition,
        value: Buffer.from(`record ${i}`),
      })),
    });
  } finally {
    await producer.close();
  }
}

test('HTTP requests are counted and timed by route pattern and status, never by raw URL', async (t) => {
  const { app, topic, scrape } = await startStack(t, 'metrics-http');
  const [missingId] = idBlock(1);

  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/album', ...json(album(i)) });
    assert.equal(res.statusCode, 202, res.body);
  }
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/albums',
      ...json([album(10 + i), album(20 + i)]),
    });
    assert.equal(res.statusCode, 202, res.body);
  }
  const invalid = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    ...json({ ...album(0), price: 'free' }),
  });
  assert.equal(invalid.statusCode, 400);
  const answers = [
    ['/api/v1/albums/1', 200], // a seed row
    [`/api/v1/albums/${missingId}`, 404],
    ['/api/v1/albums/not-an-id', 400],
    [`/no/such/route/${missingId}`, 404],
    ['/no/such/route/either', 404],
  ] as const;
  for (const [url, status] of answers) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  }

  const samples = await scrape();
  const requests = (method: string, route: string, status: number) =>
    metricValue(samples, 'http_requests_total', { method, route, status: String(status) });
  assert.equal(requests('POST', '/api/v1/album', 202), 3);
  assert.equal(requests('POST', '/api/v1/album', 400), 1);
  assert.equal(requests('POST', '/api/v1/albums', 202), 2);
  assert.equal(requests('GET', '/api/v1/albums/:id', 200), 1);
  assert.equal(requests('GET', '/api/v1/albums/:id', 404), 1);
  assert.equal(requests('GET', '/api/v1/albums/:id', 400), 1);
  assert.equal(requests('GET', 'unmatched', 404), 2);
  assert.equal(samplesOf(samples, 'http_requests_total').length, 7, 'no other label sets');
  const routes = new Set(samplesOf(samples, 'http_requests_total').map((s) => s.labels.route));
  assert.deepEqual(
    [...routes].sort(),
    ['/api/v1/album', '/api/v1/albums', '/api/v1/albums/:id', 'unmatched'],
    'route labels are patterns, not URLs',
  );

  // The histogram counts every request of the route, whatever its status.
  const timed = { method: 'POST', route: '/api/v1/album' };
  assert.equal(metricValue(samples, 'http_request_duration_seconds_count', timed), 4);
  assert.equal(
    metricValue(samples, 'http_request_duration_seconds_bucket', { ...timed, le: '+Inf' }),
    4,
  );
  assert.equal(
    metricValue(samples, 'http_request_duration_seconds_bucket', { ...timed, le: '30' }),
    4,
  );
  const sum = metricValue(samples, 'http_request_duration_seconds_sum', timed) ?? 0;
  assert.ok(sum > 0 && sum < 30, `duration sum ${sum}`);
  assert.equal(
    metricValue(samples, 'http_request_duration_seconds_count', {
      method: 'GET',
      route: '/api/v1/albums/:id',
    }),
    3,
  );

  // Three single albums and two batches of two: seven records acknowledged, none failed.
  assert.equal(metricValue(samples, 'music_messages_produced_total', { topic }), 7);
  assert.equal(metricValue(samples, 'music_produce_failures_total', { topic }), undefined);

  // Runtime metrics carry the prefix; scrapes are not API requests and are not counted.
  assert.ok((metricValue(samples, 'music_process_cpu_user_seconds_total') ?? -1) >= 0);
  assert.ok((metricValue(samples, 'music_nodejs_heap_size_used_bytes') ?? 0) > 0);
  const again = await scrape();
  assert.equal(samplesOf(again, 'http_requests_total').length, 7, 'the scrapes are not counted');
});

test('the produced-record count grows by exactly the albums posted', async (t) => {
  const { app, topic, scrape } = await startStack(t, 'metrics-produced');
  const produced = async () =>
    metricValue(await scrape(), 'music_messages_produced_total', { topic });
  assert.equal(await produced(), undefined, 'nothing produced yet');

  const batch = await app.inject({
    method: 'PUT',
    url: '/api/v1/albums',
    ...json(idBlock(5).map((id, i) => ({ id, ...album(i) }))),
  });
  assert.equal(batch.statusCode, 202, batch.body);
  assert.equal(await produced(), 5);

  const one = await app.inject({ method: 'POST', url: '/api/v1/album', ...json(album(6)) });
  assert.equal(one.statusCode, 202, one.body);
  assert.equal(await produced(), 6);

  // Publishes per transaction: the two above had a round each; 20 at once share rounds.
  const rounds = async () => {
    const samples = await scrape();
    return {
      rounds: metricValue(samples, 'music_produce_round_publishes_count', { topic }),
      publishes: metricValue(samples, 'music_produce_round_publishes_sum', { topic }),
    };
  };
  assert.deepEqual(await rounds(), { rounds: 2, publishes: 2 });
  const together = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      app.inject({ method: 'POST', url: '/api/v1/album', ...json(album(100 + i)) }),
    ),
  );
  assert.deepEqual(
    together.map((r) => r.statusCode),
    together.map(() => 202),
  );
  const after = await rounds();
  assert.equal(after.publishes, 22);
  assert.ok((after.rounds ?? 0) > 2 && (after.rounds ?? 0) < 22, `${after.rounds} rounds`);
  assert.equal(await produced(), 26);
});

test('database calls are counted in flight while they run', async (t) => {
  const { trackDb, scrape } = await startStack(t, 'metrics-db');
  const sql = testSql(1);
  const holder = testSql(1);
  t.after(() => Promise.all([sql.end({ timeout: 5 }), holder.end({ timeout: 5 })]));

  const before = await scrape();
  assert.equal(metricValue(before, 'music_db_pool_max_connections'), POOL_MAX);
  assert.equal(metricValue(before, 'music_db_pool_queries_in_flight'), 0);

  // A query that waits for a lock the test holds, so that it is still running at the scrape
  // however long the scrape takes (a fixed pg_sleep may be over first on a busy machine).
  const [{ key } = { key: '0' }] = await holder<{ key: string }[]>`
    select (random() * 1e15)::int8::text as key`;
  await holder`select pg_advisory_lock(${key}::int8)`;
  const slow = trackDb(() => sql`select pg_advisory_xact_lock(${key}::int8)`);
  const during = await scrape();
  assert.equal(metricValue(during, 'music_db_pool_queries_in_flight'), 1);
  await holder`select pg_advisory_unlock(${key}::int8)`;
  await slow;
  assert.equal(metricValue(await scrape(), 'music_db_pool_queries_in_flight'), 0);
});

test('lag, committed offsets, members and dead letters are read from the cluster', async (t) => {
  const { topic, dlq, groupId, scrape } = await startStack(t, 'metrics-lag', {
    partitions: 3,
    cacheMs: 0,
  });
  // Five records on partition 0, none on 1, two on 2; four dead letters spread over the DLQ.
  await produceTo(topic, 0, 5);
  await produceTo(topic, 2, 2);
  await produceTo(dlq, 0, 1);
  await produceTo(dlq, 1, 3);

  const lagOf = (samples: Sample[], partition: number) =>
    metricValue(samples, 'music_consumer_lag', { topic, partition: String(partition) });
  const committedOf = (samples: Sample[], partition: number) =>
    metricValue(samples, 'music_consumer_committed_offset', {
      topic,
      partition: String(partition),
    });

  // A group that never committed starts at the log start: everything is lag.
  const fresh = await scrape();
  assert.equal(metricValue(fresh, 'music_kafka_up'), 1);
  assert.deepEqual(
    [0, 1, 2].map((p) => lagOf(fresh, p)),
    [5, 0, 2],
  );
  assert.deepEqual(samplesOf(fresh, 'music_consumer_committed_offset'), []);
  assert.equal(metricValue(fresh, 'music_consumer_group_members', { group: groupId }), 0);
  assert.equal(metricValue(fresh, 'music_dlq_messages', { topic: dlq }), 4);

  // A commit at 3 on partition 0 leaves two records of it to read.
  const admin = new Admin({
    clientId: uniqueName('metrics-admin'),
    ...platformaticConnection(kafka),
  });
  t.after(() => admin.close());
  await admin.alterConsumerGroupOffsets({
    groupId,
    topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 3n }] }],
  });
  const committed = await scrape();
  assert.equal(committedOf(committed, 0), 3);
  assert.equal(committedOf(committed, 2), undefined);
  assert.deepEqual(
    [0, 1, 2].map((p) => lagOf(committed, p)),
    [2, 0, 2],
  );

  // A consumer of the group reads the rest: it is counted as a member and the lag drains.
  const consumer = createPlatformaticConsumer(
    {
      kafka,
      clientId: uniqueName('metrics-consumer'),
      groupId,
      topic,
      batchSize: 100,
      batchWaitMs: 20,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    },
    log,
  );
  let consumed = 0;
  const running = consumer.run(async (batch) => {
    consumed += batch.length;
  });
  t.after(async () => {
    await consumer.close();
    await running;
  });
  const drained = await waitFor('the lag to drain with one member', async () => {
    const samples = await scrape();
    const caughtUp =
      metricValue(samples, 'music_consumer_group_members', { group: groupId }) === 1 &&
      [0, 1, 2].every((p) => lagOf(samples, p) === 0) &&
      committedOf(samples, 2) === 2;
    return caughtUp ? samples : undefined;
  });
  assert.equal(committedOf(drained, 0), 5);
  assert.equal(consumed, 4, 'two records of partition 0 and two of partition 2');
});

/** The calls of each kind to the cluster probe, which `wrap` counts. */
function countingProbe(before: () => Promise<void> = async () => {}) {
  const calls = { describe: 0, progress: 0, endOffsets: 0 };
  const wrap = (real: GroupProbe): GroupProbe => ({
    async describe(groupId) {
      calls.describe++;
      await before();
      return real.describe(groupId);
    },
    progress(groupId, topic) {
      calls.progress++;
      return real.progress(groupId, topic);
    },
    endOffsets(topic) {
      calls.endOffsets++;
      return real.endOffsets(topic);
    },
    close: () => real.close(),
  });
  return { calls, wrap };
}

test('scrapes within two seconds share one reading of the cluster', async (t) => {
  const { calls, wrap } = countingProbe();
  const { scrape } = await startStack(t, 'metrics-cache', { probe: wrap });
  // The clock the cache reads stands still unless moved here, so that a slow scrape (a busy
  // machine, a slow broker) cannot make "within two seconds" false. Timers are not mocked.
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  await scrape();
  await scrape();
  await scrape();
  assert.deepEqual(calls, { describe: 1, progress: 1, endOffsets: 1 });
  t.mock.timers.tick(1999);
  await scrape();
  assert.deepEqual(calls, { describe: 1, progress: 1, endOffsets: 1 }, 'still within 2 s');
  t.mock.timers.tick(1);
  const later = await scrape();
  assert.deepEqual(calls, { describe: 2, progress: 2, endOffsets: 2 });
  assert.equal(metricValue(later, 'music_kafka_up'), 1);
});

test('with Kafka unreachable /metrics still answers 200 quickly, counting the failed produce', async (t) => {
  const { app, topic, scrape } = await startStack(t, 'metrics-no-kafka', {
    brokers: ['127.0.0.1:1'],
  });
  const write = await app.inject({
    method: 'POST',
    url: '/api/v1/albums',
    ...json([album(1), album(2)]),
  });
  assert.equal(write.statusCode, 503, write.body);

  const started = Date.now();
  const samples = await scrape();
  const elapsed = Date.now() - started;
  // Its deadline is 2 s; the bound is wide for a busy machine and still rules out a scrape
  // that waits for the broker.
  assert.ok(elapsed < 15_000, `answered in ${elapsed} ms`);
  assert.equal(metricValue(samples, 'music_kafka_up'), 0);
  for (const name of [
    'music_consumer_lag',
    'music_consumer_committed_offset',
    'music_consumer_group_members',
    'music_dlq_messages',
  ]) {
    assert.deepEqual(samplesOf(samples, name), [], `${name} has no samples`);
  }
  assert.equal(metricValue(samples, 'music_produce_failures_total', { topic }), 2);
  assert.equal(metricValue(samples, 'music_messages_produced_total', { topic }), undefined);
  assert.equal(
    metricValue(samples, 'http_requests_total', {
      method: 'POST',
      route: '/api/v1/albums',
      status: '503',
    }),
    1,
  );
});

test('a broker that accepts connections but never answers cannot hold a scrape past 2 s', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as AddressInfo;
  const { scrape } = await startStack(t, 'metrics-silent', {
    brokers: [`127.0.0.1:${port}`],
    probeTimeoutMs: 60_000,
  });

  const started = Date.now();
  const samples = await scrape();
  const elapsed = Date.now() - started;
  // At the 2 s deadline, not before; the upper bound is wide for a busy machine, and well
  // below the probe's own 60 s timeout, which is what a scrape without the deadline would wait.
  assert.ok(elapsed >= 1900 && elapsed < 20_000, `answered in ${elapsed} ms`);
  assert.ok(sockets.size > 0, 'the probe did connect');
  assert.equal(metricValue(samples, 'music_kafka_up'), 0);
  assert.deepEqual(samplesOf(samples, 'music_consumer_lag'), []);
});

test('the public API port does not serve /metrics: 404 problem+json', async (t) => {
  const { app, metricsUrl } = await startStack(t, 'metrics-public');
  for (const url of ['/metrics', '/metrics?format=text']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.doesNotMatch(res.body, /music_|http_requests_total/);
  }
  const apiPort = (app.server.address() as AddressInfo).port;
  assert.notEqual(Number(new URL(metricsUrl).port), apiPort, 'a port of its own');
  assert.equal((await fetch(metricsUrl)).status, 200);
});

test('with METRICS_TOKEN, scrapes without the token or with another one get 401', async (t) => {
  const token = `metrics-${uniqueName('token')}`;
  const { metricsUrl, scrape } = await startStack(t, 'metrics-token', { token });
  for (const authorization of [undefined, `Bearer ${token}-not`, `Bearer ${token.slice(1)}`]) {
    const res = await fetch(metricsUrl, authorization ? { headers: { authorization } } : {});
    assert.equal(res.status, 401, `authorization: ${authorization}`);
    assert.doesNotMatch(await res.text(), /music_/);
  }
  const samples = await scrape();
  assert.ok((metricValue(samples, 'music_db_pool_max_connections') ?? 0) > 0);
});

test('200 concurrent scrapes make one reading of the cluster and no database query', async (t) => {
  let queries = 0;
  // The runtime's own pool, with every statement it sends counted; but the LISTEN of the list
  // answers' cache (album-generations.ts), whose connection takes the pool's options and may
  // start listening only after the stack is up.
  const sql = postgres(config.DATABASE_WRITE_URL, {
    max: POOL_MAX,
    onnotice: () => {},
    debug: (_connection, query) => {
      if (!/^listen /i.test(query)) queries++;
    },
  });
  t.after(() => sql.end({ timeout: 5 }));
  // The first reading is held open until the whole burst has reached the server; no cache
  // (cacheMs 0), so only sharing what is under way keeps the readings down: one collection
  // (metrics-server.ts) whose gauges share one reading (cluster-metrics.ts).
  const { promise: burstSent, resolve: releaseReading } = Promise.withResolvers<void>();
  const { calls, wrap } = countingProbe(() => burstSent);
  const { metricsUrl } = await startStack(t, 'metrics-burst', { probe: wrap, sql, cacheMs: 0 });
  const queriesBefore = queries;

  const sent: Promise<unknown>[] = [];
  const scrapes = Array.from({ length: 200 }, () => {
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    const request = get(metricsUrl, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    request.on('error', reject);
    sent.push(once(request, 'finish'));
    return promise;
  });
  await Promise.all(sent);
  await sleep(300);
  releaseReading();
  const statuses = await Promise.all(scrapes);
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.deepEqual(calls, { describe: 1, progress: 1, endOffsets: 1 });
  assert.equal(queries - queriesBefore, 0, 'scrapes send nothing to PostgreSQL');
});
