// The gRPC API's own /metrics and access log, against the real database: the runtime that
// src/apps/grpc/main.ts starts, called over gRPC and scraped on its metrics port over HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createGrpcRuntime } from '../../../src/apps/grpc/runtime.ts';
import { Health } from '../../../src/gen/grpc/health/v1/health_pb.js';
import { MusicService } from '../../../src/gen/service/music_pb.js';
import { createLogger } from '../../../src/shared/logger.ts';
import { configWith, idBlock, testSql, waitFor } from '../../support/stack.ts';
import { metricValue, parseMetrics, samplesOf } from '../rest/prometheus-text.ts';

interface Line {
  readonly msg: string;
  readonly method?: string;
  readonly code?: string;
  readonly ms?: number;
  readonly requestId?: string;
}

test('each gRPC call is one access line and counted and timed by method and code on its own /metrics', async (t) => {
  const lines: Line[] = [];
  const log = createLogger('grpc', 'info', {
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  });
  const sql = testSql(2);
  const grpc = await createGrpcRuntime(configWith({}), { sql, log, closeGraceMs: 0 });
  t.after(async () => {
    await grpc.close();
    await sql.end({ timeout: 5 });
  });
  const transport = createGrpcTransport({
    baseUrl: `http://${grpc.address.host}:${grpc.address.port}`,
  });
  const music = createClient(MusicService, transport);
  const health = createClient(Health, transport);

  let answered: string | null = null;
  await music.listAlbums(
    { pageSize: 1 },
    {
      headers: { 'x-request-id': 'follow-me-42' },
      onHeader: (headers) => {
        answered = headers.get('x-request-id');
      },
    },
  );
  assert.equal(answered, 'follow-me-42', 'the request id is answered');
  const [missing] = idBlock(1);
  await assert.rejects(
    music.getAlbum({ id: missing ?? 1 }),
    (err: unknown) => ConnectError.from(err).code === Code.NotFound,
  );
  await health.check({});

  const calls = await waitFor('three access lines', async () => {
    const found = lines.filter((l) => l.msg === 'grpc call');
    return found.length >= 3 ? found : undefined;
  });
  const list = calls.find((l) => l.method === '/service.MusicService/ListAlbums');
  assert.equal(list?.code, 'OK');
  assert.equal(list?.requestId, 'follow-me-42', "the client's request id is kept");
  assert.ok(typeof list?.ms === 'number' && list.ms >= 0);
  const get = calls.find((l) => l.method === '/service.MusicService/GetAlbum');
  assert.equal(get?.code, 'NOT_FOUND');
  assert.match(get?.requestId ?? '', /^[0-9a-f-]{36}$/, 'one is made when the client sent none');
  assert.equal(calls.find((l) => l.method === '/grpc.health.v1.Health/Check')?.code, 'OK');

  const response = await fetch(grpc.metricsServer.url);
  assert.equal(response.status, 200);
  const samples = parseMetrics(await response.text());
  const handled = (method: string, code: string) =>
    metricValue(samples, 'grpc_server_handled_total', {
      grpc_service: 'service.MusicService',
      grpc_method: method,
      grpc_code: code,
    });
  assert.equal(handled('ListAlbums', 'OK'), 1);
  assert.equal(handled('GetAlbum', 'NOT_FOUND'), 1);
  const timed = samplesOf(samples, 'grpc_server_handling_seconds_count', {
    grpc_method: 'GetAlbum',
    grpc_code: 'NOT_FOUND',
  });
  assert.equal(timed[0]?.value, 1);
  assert.ok(samplesOf(samples, 'music_process_cpu_seconds_total').length > 0);
  assert.equal(samplesOf(samples, 'http_requests_total').length, 0, "none of the REST API's");
});
