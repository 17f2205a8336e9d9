// The request id end to end: kept from a sane `x-request-id`, on every log line of its request,
// answered, put on the Kafka record, and still there when the record is dead-lettered.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { createConsumerRuntime } from '../../../src/apps/consumer/runtime.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { configWith, freshTopics, readTopic, uniqueName, waitFor } from '../../support/stack.ts';
import { aroundBatches } from '../consumer/support.ts';

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

/** The REST runtime on a fresh one-partition topic, its log lines kept from the first request on. */
async function startStack(t: TestContext, label: string) {
  const { topic, dlq } = await freshTopics(label, 1);
  const { logger, lines } = capturingLogger();
  const rest = await createRestRuntime(
    configWith({ KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq, KAFKA_CLIENT_ID: uniqueName(label) }),
    { log: logger, createTopics: false },
  );
  t.after(() => rest.close());
  // The start-up's own lines (listening) belong to no request.
  lines.length = 0;
  return { app: rest.app, topic, dlq, lines };
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

  // The consumer runtime gets the record with its value broken (wire type 6 does not exist).
  const consumerLog = capturingLogger();
  const consumer = await createConsumerRuntime(
    configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_GROUP_ID: uniqueName('request-id-dlq'),
      KAFKA_CLIENT_ID: uniqueName('request-id-dlq'),
    }),
    'platformatic',
    {
      log: consumerLog.logger,
      createTopics: false,
      consumer: (real) =>
        aroundBatches(real, (batch, handle) =>
          handle(batch.map((m) => ({ ...m, value: Buffer.from([0x6e, 0x6f]) }))),
        ),
    },
  );
  t.after(async () => {
    await consumer.close();
    await consumer.stopped;
  });
  await waitFor('the record to be dead-lettered', async () =>
    consumerLog.lines.some((l) => l.msg === 'dead-lettered a record') ? true : undefined,
  );

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
