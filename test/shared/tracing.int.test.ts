// One album followed through a real trace backend: a POST to the REST API (with a caller's
// traceparent), its Kafka record, both consumers' batches and their upserts, exported over OTLP
// to a Jaeger built from source and read back from Jaeger's query API under one trace id.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ensureJaeger, goBinary } from '../../infra/jaeger.ts';
import { createGrpcRuntime } from '../../src/apps/grpc/runtime.ts';
import { createRestRuntime } from '../../src/apps/rest/runtime.ts';
import { MusicService } from '../../src/gen/service/music_pb.js';
import { cleanupStack, type Defer } from '../support/cleanup.ts';
import { privateJaeger } from '../support/jaeger.ts';
import {
  config,
  configWith,
  freshTopics,
  log,
  readFromStart,
  uniqueName,
  waitFor,
} from '../support/stack.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLIENTS = ['platformatic', 'confluent'] as const;

/** A span as Jaeger's v3 query API answers it (OTLP JSON), with the service that sent it. */
interface FoundSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: string;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly attributes: Readonly<Record<string, string>>;
}

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string | number;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpTrace {
  result?: {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: OtlpValue }[] };
      scopeSpans?: { spans?: OtlpSpan[] }[];
    }[];
  };
}

const otlpValue = (v: OtlpValue) => String(v.stringValue ?? v.intValue ?? v.boolValue ?? '');
const attributesOf = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, otlpValue(a.value)]));
/** Ids as hex, however the API encodes them (hex, or base64 as protobuf JSON does). */
const hex = (id = '') => (/^[0-9a-f]*$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
/** "SPAN_KIND_SERVER" or 2 → "server". */
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const kindOf = (k: string | number) =>
  typeof k === 'number' ? (KINDS[k] ?? String(k)) : k.replace(/^SPAN_KIND_/, '').toLowerCase();

/** The spans of one trace that Jaeger holds now (none while it has not seen the trace). */
async function traceSpans(queryUrl: string, traceId: string): Promise<FoundSpan[]> {
  const answer = await fetch(`${queryUrl}/api/v3/traces/${traceId}`);
  if (answer.status === 404) return [];
  assert.equal(answer.status, 200, await answer.clone().text());
  const body = (await answer.json()) as OtlpTrace;
  return (body.result?.resourceSpans ?? []).flatMap((rs) => {
    const service = attributesOf(rs.resource?.attributes)['service.name'] ?? '';
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name,
        kind: kindOf(s.kind),
        links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        attributes: attributesOf(s.attributes),
      })),
    );
  });
}

/** A consumer process on the test's topic, in a group of its own, exporting to Jaeger. */
function startConsumer(defer: Defer, client: string, env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'src/apps/consumer/main.ts', '--client', client],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, KAFKA_GROUP_ID: uniqueName(client) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return child;
}

// The first run on a machine builds Jaeger (minutes): `npm test` starts that build at once, at
// the lowest priority beside everything else, and this test waits for it.
test('a POST is traced through Kafka to both consumers and their upserts, as Jaeger shows', {
  timeout: 20 * 60_000,
  skip:
    goBinary() === null
      ? 'no Go toolchain installed: the Jaeger this test traces into is built with Go'
      : false,
}, async (t) => {
  const defer = cleanupStack(t);
  const binary = await ensureJaeger(resolve(ROOT, config.MUSIC_DATA_DIR), (l) => t.diagnostic(l));
  assert.ok(binary, 'Go is installed, so Jaeger was built');
  const jaeger = await privateJaeger(defer, binary);
  const { topic, dlq } = await freshTopics('tracing', 1);
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint };
  for (const client of CLIENTS)
    startConsumer(defer, client, {
      ...otel,
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_CREATE_TOPICS: 'false',
    });
  const settings = configWith({ KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq, ...otel });
  const rest = await createRestRuntime(settings, { log, createTopics: false });
  defer(() => rest.close());
  // In this process too: its spans bear the first runtime's service name (one provider each).
  const grpc = await createGrpcRuntime(settings, { log, closeGraceMs: 0 });
  defer(() => grpc.close());

  // The caller's own trace: the REST API continues it.
  const traceId = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');
  const answer = await fetch(`http://127.0.0.1:${rest.address.port}/api/v1/album`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${callerSpan}-01`,
    },
    body: JSON.stringify({ title: 'Kind of Blue', artist: 'Miles Davis', price: 9.99 }),
  });
  assert.equal(answer.status, 202, await answer.text());
  const requestId = answer.headers.get('x-request-id');
  const id = Number(answer.headers.get('location')?.split('/').pop());

  // The record carries the producer span's context.
  const [headers] = await readFromStart(topic, 1, (m) =>
    Object.fromEntries([...m.headers].map(([k, v]) => [k.toString(), v.toString()])),
  );
  const traceparent = headers?.traceparent ?? '';
  const [, recordTrace, recordSpan, flags] = traceparent.split('-');
  assert.equal(recordTrace, traceId, `traceparent ${traceparent}`);
  assert.equal(flags, '01');
  assert.equal(headers?.['x-request-id'], requestId);

  // Read back over gRPC once stored, within the same trace.
  const music = createClient(
    MusicService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpc.address.port}` }),
  );
  const grpcCaller = randomBytes(8).toString('hex');
  const read = await waitFor('the album stored', () =>
    music
      .getAlbum({ id }, { headers: { traceparent: `00-${traceId}-${grpcCaller}-01` } })
      .catch(() => undefined),
  );
  assert.equal(read.title, 'Kind of Blue');

  const spans = await waitFor(
    'the REST, produce, both consumers, both upserts and the gRPC spans in Jaeger',
    async () => {
      const found = await traceSpans(jaeger.queryUrl, traceId);
      const upserts = found.filter((s) => s.name === 'upsert music.albums');
      const grpcSpans = found.filter((s) => s.name === 'service.MusicService/GetAlbum');
      return upserts.length >= CLIENTS.length && grpcSpans.length > 0 ? found : undefined;
    },
    90_000,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nJaeger's output:\n${jaeger.output()}`);
  });

  const one = (what: string, pick: (s: FoundSpan) => boolean): FoundSpan => {
    const matching = spans.filter(pick);
    assert.equal(matching.length, 1, `${what}: ${JSON.stringify(spans, null, 1)}`);
    return matching[0] as FoundSpan;
  };
  for (const s of spans) assert.equal(s.traceId, traceId);

  const server = one('the REST span', (s) => s.kind === 'server' && s.name.startsWith('POST'));
  assert.equal(server.service, 'music-rest');
  assert.equal(server.name, 'POST /api/v1/album');
  assert.equal(server.parentSpanId, callerSpan);
  assert.equal(server.attributes['http.response.status_code'], '202');
  assert.equal(server.attributes['music.request_id'], requestId);

  const send = one('the produce span', (s) => s.kind === 'producer');
  assert.equal(send.name, `send ${topic}`);
  assert.equal(send.parentSpanId, server.spanId);
  assert.equal(send.spanId, recordSpan, 'the record carries the produce span');
  assert.equal(send.attributes['messaging.system'], 'kafka');
  assert.equal(send.attributes['messaging.destination.name'], topic);

  for (const client of CLIENTS) {
    const service = `music-consumer-${client}`;
    const processing = one(
      `${client}'s batch`,
      (s) => s.service === service && s.kind === 'consumer',
    );
    assert.equal(processing.name, `process ${topic}`);
    assert.equal(processing.parentSpanId, send.spanId);
    assert.deepEqual(processing.links, [{ traceId, spanId: send.spanId }], 'linked to the record');
    const upsert = one(`${client}'s upsert`, (s) => s.service === service && s.kind === 'client');
    assert.equal(upsert.name, 'upsert music.albums');
    assert.equal(upsert.parentSpanId, processing.spanId);
    assert.equal(upsert.attributes['db.system.name'], 'postgresql');
  }

  // Every GetAlbum until the album was stored is a span; the last one found it.
  const calls = spans.filter((s) => s.name === 'service.MusicService/GetAlbum');
  for (const call of calls) {
    assert.equal(call.kind, 'server');
    assert.equal(call.parentSpanId, grpcCaller);
    assert.equal(call.attributes['rpc.system'], 'grpc');
  }
  assert.ok(
    calls.some((c) => c.attributes['rpc.grpc.status_code'] === '0'),
    'one answered OK',
  );
});
