// Tracing without a backend: off, it changes nothing; on (spans kept in memory), a request's
// server span is the parent of its publish, each record carries the publish's traceparent, and
// a consumer's batch span links to the contexts its records carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Publisher } from '../../src/adapters/kafka/publisher.ts';
import { tracedPublisher } from '../../src/adapters/kafka/traced-publisher.ts';
import { processSpan } from '../../src/apps/consumer/batch-span.ts';
import { buildRestApp } from '../../src/apps/rest/app.ts';
import type { ConsumedMessage, OutgoingMessage } from '../../src/domain/events.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { inSpan, startTracing, tracesUrl, tracingOn } from '../../src/shared/tracing.ts';
import { emptyCatalogue } from '../support/rest-app.ts';
import { log } from '../support/stack.ts';

const OFF = loadConfig({}, () => undefined);

/** A publisher that keeps what it was given. */
function keepingPublisher() {
  const sent: { topic: string; messages: readonly OutgoingMessage[] }[] = [];
  const publisher: Publisher = {
    publish: async (topic, messages) => void sent.push({ topic, messages }),
    close: async () => {},
  };
  return { publisher, sent };
}

const record = (offset: number, headers: Record<string, string>): ConsumedMessage => ({
  topic: 'albums',
  partition: 0,
  offset: BigInt(offset),
  timestamp: 0n,
  key: null,
  value: null,
  headers: new Map(Object.entries(headers)),
});

test('the OTLP URL: the traces endpoint as given, else the endpoint plus /v1/traces', () => {
  assert.equal(tracesUrl(OFF), undefined);
  const base = { ...OFF, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' };
  assert.equal(tracesUrl(base), 'http://jaeger:4318/v1/traces');
  const own = { ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://x/traces' };
  assert.equal(tracesUrl(own), 'https://x/traces');
});

test('off without an endpoint: no provider, the publisher untouched, work run as it is', async () => {
  const tracing = startTracing(OFF, 'test');
  assert.equal(tracingOn(), false);
  const { publisher } = keepingPublisher();
  assert.equal(tracedPublisher(publisher), publisher);
  assert.equal(await inSpan({ name: 'x', kind: SpanKind.INTERNAL }, async () => 42), 42);
  await tracing.close();
});

test('on: REST span (continuing the caller) → send span → traceparent on each record', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(OFF, 'rest', exporter);
  t.after(() => tracing.close());
  assert.equal(tracingOn(), true);
  const { publisher, sent } = keepingPublisher();
  const traced = tracedPublisher(publisher);
  let nextId = 1;
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: async (n) => Array.from({ length: n }, () => nextId++),
      publish: (messages) => traced.publish('albums', messages),
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  t.after(() => app.close());
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const answer = await app.inject({
    method: 'POST',
    url: '/api/v1/albums',
    headers: {
      'content-type': 'application/json',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      'x-request-id': 'req-1',
    },
    payload: JSON.stringify([
      { title: 'A', artist: 'B', price: 1 },
      { title: 'C', artist: 'D', price: 2 },
    ]),
  });
  assert.equal(answer.statusCode, 202, answer.body);

  const spans = exporter.getFinishedSpans();
  const byKind = (kind: SpanKind) => spans.filter((s) => s.kind === kind);
  const [server] = byKind(SpanKind.SERVER) as [ReadableSpan];
  const [send] = byKind(SpanKind.PRODUCER) as [ReadableSpan];
  assert.equal(server.name, 'POST /api/v1/albums');
  assert.equal(server.spanContext().traceId, traceId);
  assert.equal(server.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(server.attributes['http.response.status_code'], 202);
  assert.equal(server.attributes['music.request_id'], 'req-1');
  assert.equal(send.name, 'send albums');
  assert.equal(send.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(send.attributes['messaging.batch.message_count'], 2);

  const messages = sent[0]?.messages ?? [];
  assert.equal(messages.length, 2);
  const expected = `00-${traceId}-${send.spanContext().spanId}-01`;
  for (const m of messages) assert.equal(m.headers?.traceparent, expected);
  assert.equal(messages[0]?.headers?.['x-request-id'], 'req-1');
  // One headers object per publish, as before: the publisher makes one header map of it.
  assert.equal(messages[0]?.headers, messages[1]?.headers);
});

test('a batch of one publish continues its trace and links to it; a mixed batch only links', () => {
  const a = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const b = '00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01';
  const one = processSpan([record(1, { traceparent: a }), record(2, { traceparent: a })], 'x');
  assert.equal(one.name, 'process albums');
  assert.equal(one.kind, SpanKind.CONSUMER);
  assert.deepEqual(
    one.links?.map((l) => l.context.spanId),
    ['b7ad6b7169203331'],
  );
  assert.ok(one.parent, 'a parent context');

  const mixed = processSpan(
    [record(1, { traceparent: a }), record(2, { traceparent: b }), record(3, {})],
    'x',
  );
  assert.deepEqual(
    mixed.links?.map((l) => l.context.traceId),
    ['0af7651916cd43dd8448eb211c80319c', '1af7651916cd43dd8448eb211c80319c'],
  );
  assert.equal(mixed.attributes?.['messaging.batch.message_count'], 3);
});

test('a batch span is the parent of what the batch does; a record without context is a root', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(OFF, 'consumer', exporter);
  t.after(() => tracing.close());
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await inSpan(processSpan([record(1, { traceparent })], 'x'), () =>
    inSpan({ name: 'upsert', kind: SpanKind.CLIENT }, async () => {}),
  );
  await inSpan(processSpan([record(2, {})], 'x'), async () => {});
  const [upsert, traced, root] = exporter.getFinishedSpans() as ReadableSpan[];
  assert.equal(traced?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(traced?.parentSpanContext?.spanId, 'b7ad6b7169203331');
  assert.equal(upsert?.parentSpanContext?.spanId, traced?.spanContext().spanId);
  assert.equal(root?.parentSpanContext, undefined);
  assert.notEqual(root?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
});
