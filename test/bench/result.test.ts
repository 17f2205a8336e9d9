import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Machine } from '../../bench/machine.ts';
import {
  cpuPerUnit,
  isFigure,
  missingFigures,
  REQUIRED_FIGURES,
  shapeResult,
  targetsMet,
  toFigures,
} from '../../bench/result.ts';
import { complete, latency, machine } from './fixtures.ts';

test('a complete run has every required figure, positive, with ratios to the ceilings', () => {
  const figures = toFigures(complete);
  assert.deepEqual(missingFigures(figures), []);
  for (const name of REQUIRED_FIGURES) assert.ok((figures[name] ?? 0) > 0, name);
  assert.equal(figures.ratio_ingest_to_db_ceiling, 0.5);
  assert.equal(figures.ratio_ingest_to_kafka_ceiling, 0.125);
  assert.equal(figures.ratio_consumer_platformatic_to_db_ceiling, 0.123);
  assert.equal(figures.ratio_post_single_to_kafka_ceiling, 0.051);
  // Rates are whole, latencies keep two decimals.
  assert.equal(figures.consumer_platformatic_albums_per_s, 12_346);
  assert.equal(figures.db_upsert_ceiling_rows_per_s, 100_000);
  assert.equal(figures.post_single_p99_ms, 7.46);
  assert.equal(figures.e2e_rate_albums_per_s, 1000);
});

test('a phase left out leaves its figures and ratios out, and they are named as missing', () => {
  const { dbCeiling: _, grpcList: __, ...partial } = complete;
  const figures = toFigures(partial);
  assert.equal(figures.db_upsert_ceiling_rows_per_s, undefined);
  assert.equal(figures.ratio_ingest_to_db_ceiling, undefined);
  assert.ok(!('grpc_list_rps' in figures));
  assert.deepEqual(missingFigures(figures), [
    'grpc_list_rps',
    'db_upsert_ceiling_rows_per_s',
    'ratio_ingest_to_db_ceiling',
    'ratio_consumer_platformatic_to_db_ceiling',
    'ratio_consumer_confluent_to_db_ceiling',
  ]);
});

test('a zero rate counts as missing; a zero latency is a measurement', () => {
  const figures = toFigures({ ...complete, restList: { rps: 0, latency: latency(0, 0) } });
  assert.deepEqual(missingFigures(figures), ['rest_list_rps']);
  assert.ok(isFigure('e2e_p50_ms', 0));
  assert.ok(!isFigure('e2e_p50_ms', Number.NaN));
  assert.ok(!isFigure('post_single_rps', 0));
});

test('CPU per unit of work is in microseconds per album, request or row, by process', () => {
  assert.deepEqual(
    cpuPerUnit(
      { ingest: { rest: 8000, postgres: 6543 }, rest_list: { rest: 1500 }, kafka_ceiling: {} },
      { ingest: 1_000_000, rest_list: 10_000 },
    ),
    { ingest: { rest: 8, postgres: 6.5 }, rest_list: { rest: 150 } },
  );
});

test('targets: rates at least, latencies at most', () => {
  const met = targetsMet(toFigures(complete));
  assert.equal(met.ingest_batch_albums_per_s, true);
  assert.equal(met.post_single_rps, true);
  assert.equal(met.post_single_p99_ms, true);
  assert.equal(met.e2e_p99_ms, true);
  assert.equal(met.consumer_platformatic_albums_per_s, true);
  assert.equal(met.grpc_list_rps, false);
  assert.equal(met.ratio_ingest_to_db_ceiling, true);
  const slow = targetsMet(
    toFigures({ ...complete, e2e: { latency: latency(30, 40.01), acceptedPerSecond: 1000 } }),
  );
  assert.equal(slow.e2e_p99_ms, false);
});

test('the result is one JSON object with context, figures, loads and targets', () => {
  const result = shapeResult(complete, {
    mode: 'quick',
    startedAt: new Date('2026-01-02T03:04:05Z'),
    seconds: 150.4,
    machine,
    loads: { ingest: { before: 1.5, after: 2.25 } },
  });
  const parsed = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
  assert.equal(parsed.mode, 'quick');
  assert.equal(parsed.started_at, '2026-01-02T03:04:05.000Z');
  assert.equal(parsed.seconds, 150);
  assert.deepEqual(parsed.load_1m, { ingest: [1.5, 2.25] });
  assert.deepEqual((parsed.machine as Machine).cores, 2);
  assert.equal((parsed.targets_met as Record<string, boolean>).grpc_list_rps, false);
  assert.equal(parsed.ingest_batch_albums_per_s, 50_000);
});

test('the write path CPU per unit is a figure: the REST API, the broker and all servers but the bench and its load generator', () => {
  const result = shapeResult(complete, {
    mode: 'quick',
    startedAt: new Date('2026-01-02T03:04:05Z'),
    seconds: 100,
    machine,
    loads: {},
    cpu: {
      post_single: { rest: 1000, kafka: 2500, postgres: 120, bench: 900, loadgen: 700 },
      ingest: { rest: 400, kafka: 900 },
      rest_list: { rest: 700 },
    },
    units: { post_single: 10_000, ingest: 100_000, rest_list: 1000 },
  });
  assert.equal(result.post_single_cpu_us, 100);
  assert.equal(result.post_single_kafka_cpu_us, 250);
  assert.equal(result.post_single_total_cpu_us, 362);
  assert.equal(result.ingest_cpu_us, 4);
  assert.equal(result.ingest_total_cpu_us, 13);
  assert.equal(result.e2e_cpu_us, undefined);
  // The read side's own figure (readCpuFigures): the serving API's CPU per page.
  assert.equal(result.rest_list_cpu_us, 700);
});

const context = { mode: 'quick', startedAt: new Date(0), seconds: 1, machine, loads: {} } as const;

test("the JSON carries the broker's CPU before the writes only when it was measured", () => {
  const result = shapeResult(complete, { ...context, brokerCpuBeforeWrites: 33.33 });
  assert.equal(result.broker_cpu_s_before_writes, 33.3);
  assert.ok(!('broker_cpu_s_before_writes' in shapeResult(complete, context)));
});

test('the read APIs have CPU figures of their own, and the JSON says which program loaded each', () => {
  const result = shapeResult(complete, {
    ...context,
    cpu: {
      rest_list: { rest: 1200, postgres: 300, bench: 50 },
      grpc_list: { grpc: 900, postgres: 200 },
      grpc_get_album_list_4: { grpc: 500, postgres: 1 },
      grpc_get_album_list_1000: { grpc: 800 },
    },
    units: {
      rest_list: 10_000,
      grpc_list: 10_000,
      grpc_get_album_list_4: 50_000,
      grpc_get_album_list_1000: 4000,
    },
    generators: { rest_list: 'wrk', grpc_list: 'h2load' },
  });
  assert.equal(result.rest_list_cpu_us, 120);
  assert.equal(result.rest_list_postgres_cpu_us, 30);
  assert.equal(result.grpc_list_cpu_us, 90);
  assert.equal(result.grpc_get_album_list_cpu_us, 10);
  assert.equal(result.grpc_get_album_list_1000_cpu_us, 200);
  assert.equal(result.grpc_get_album_list_4_rps, 5000);
  assert.equal(result.grpc_get_album_list_1000_p99_ms, 120);
  assert.deepEqual(result.load_generators, { rest_list: 'wrk', grpc_list: 'h2load' });
  assert.equal(result.targets_met.grpc_get_album_list_4_rps, true);
  assert.equal(result.targets_met.grpc_list_rps, false);
});
