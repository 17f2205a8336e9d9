// The request id end to end: kept from a sane `x-request-id`, on every log line of its request,
// answered, put on the Kafka record, and still there when the record is dead-lettered.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { createPublisher } from '../../../src/adapters/kafka/publisher.ts';
import { createBatchProcessor } from '../../../src/apps/consumer/processor.ts';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import { config, freshTopics, readTopic, uniqueName } from '../../support/stack.ts';

type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

/** A logger that keeps every line it writes, parsed. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

async function startStack(t: TestContext, label: string) {
  const { topic, dlq } = await freshTopics(label, 1);
  const { logger, lines } = capturingLogger();
  const publisher = createPublisher({
    brokers: config.KAFKA_BROKERS,
    clientId: uniqueName(`${label}-rest`),
    timeoutMs: 10_000,
  });
  const app = await buildRestApp({
    log: logger,
    intake: {
      allocateIds: async (count) => Array.from({ length: count }, (_, i) => 900_000_000 + i),
      publish: (messages) => publisher.publish(topic, messages),
    },
    albums: { list: async () => ({ albums: [], hasMore: false }), get: async () => null },
    readiness: async () => ({ ready: true, checks: {} }),
  });
  t.after(async () => {
    await app.close();
    await publisher.close();
  });
  return { app, topic, dlq, lines };
}

const blueTrain = { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('every log line of a request carries its id, which also reaches the Kafka record', async (t) => {
  const { app, topic, lines } = await startStack(t, 'request-id');

  const write = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
    payload: JSON.stringify(blueTrain),
  });
  assert.equal(write.statusCode, 202, write.body);
  assert.equal(write.headers['x-request-id'], 'abc-123');

  const missing = await app.inject({
    method: 'GET',
    url: '/api/v1/albums/42',
    headers: { 'x-request-id': 'abc-124' },
  });
  assert.equal(missing.statusCode, 404);
  // An id that is not sane (spaces, or too long) is replaced, not trusted into logs and Kafka.
  const insane = await app.inject({
    method: 'GET',
    url: '/api/v1/albums/42',
    headers: { 'x-request-id': 'not sane at all' },
  });
  const anonymous = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ...blueTrain, price: -1 }),
  });
  assert.equal(anonymous.statusCode, 400);
  const generated = [insane, anonymous].map((r) => r.headers['x-request-id'] as string);
  for (const id of generated) assert.match(id, UUID);
  assert.notEqual(generated[0], generated[1]);

  const ids = ['abc-123', 'abc-124', ...generated];
  assert.ok(lines.length >= 8, `${lines.length} log lines`);
  for (const line of lines) {
    assert.ok(ids.includes(line.reqId as string), `reqId on ${JSON.stringify(line)}`);
  }
  for (const id of ids) {
    const msgs = lines.filter((l) => l.reqId === id).map((l) => l.msg);
    assert.ok(msgs.includes('incoming request') && msgs.includes('request completed'), id);
  }
  // At the default level (info) a request is one access line, with its status and duration.
  for (const line of lines.filter((l) => l.msg === 'incoming request'))
    assert.equal(line.level, 20);
  for (const line of lines.filter((l) => l.msg === 'request completed')) {
    assert.equal(line.level, 30);
    const res = line.res as { statusCode?: number };
    assert.ok(typeof res.statusCode === 'number' && typeof line.responseTime === 'number');
  }
  // The problem answers are logged under their request too.
  assert.ok(lines.some((l) => l.reqId === 'abc-124' && l.code === 'not_found'));

  const [record] = await readTopic(topic, 1, 60_000);
  assert.equal(record?.headers.get('x-request-id'), 'abc-123');
});

test('a dead-lettered record keeps the request id in the consumer log and on the DLQ', async (t) => {
  const { app, topic, dlq } = await startStack(t, 'request-id-dlq');
  const write = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
    payload: JSON.stringify(blueTrain),
  });
  assert.equal(write.statusCode, 202, write.body);
  const [record] = await readTopic(topic, 1, 60_000);
  assert.ok(record);

  // The record as the consumer gets it, its value broken (wire type 6 does not exist).
  const broken = { ...record, value: Buffer.from([0x6e, 0x6f]) };
  const consumerLog = capturingLogger();
  const dlqPublisher = createPublisher({
    brokers: config.KAFKA_BROKERS,
    clientId: uniqueName('request-id-dlq'),
    timeoutMs: 10_000,
  });
  t.after(() => dlqPublisher.close());
  const handle = createBatchProcessor(
    {
      store: async () => [],
      deadLetter: (messages) => dlqPublisher.publish(dlq, messages),
      isPermanent: () => false,
    },
    { client: 'platformatic', log: consumerLog.logger, signal: new AbortController().signal },
  );
  await handle([broken]);

  const dead = consumerLog.lines.filter((l) => l.msg === 'dead-lettered a record');
  assert.equal(dead.length, 1);
  assert.deepEqual(dead[0]?.headers, { 'x-request-id': 'abc-123' });
  assert.equal(dead[0]?.topic, topic);
  assert.equal(dead[0]?.offset, String(record.offset));

  const [letter] = await readTopic(dlq, 1, 60_000);
  assert.equal(letter?.headers.get('x-request-id'), 'abc-123');
  assert.equal(letter?.headers.get('x-dlq-source-topic'), topic);
  assert.equal(letter?.headers.get('x-dlq-source-offset'), String(record.offset));
});
