// The Grafana dashboard and the Prometheus scrape config in deploy/ against the metrics our code
// registers: each app's runtime is started for real (REST, gRPC, both consumers) and its registry
// listed, so that a panel on a metric renamed or never registered fails here, not on a screen.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Registry } from 'prom-client';
import { SERVICES } from '../../infra/services.ts';
import { createConsumerRuntime } from '../../src/apps/consumer/runtime.ts';
import { createGrpcRuntime } from '../../src/apps/grpc/runtime.ts';
import { createRestRuntime } from '../../src/apps/rest/runtime.ts';
import { METRICS_PORTS } from '../../src/shared/config.ts';
import { configWith, freshTopics, log, testSql, uniqueName } from '../support/stack.ts';
import { DEPLOY, readYaml } from './files.ts';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly Panel[];
}

/** Series Prometheus makes itself for every target, not any process's. */
const PROMETHEUS_OWN = new Set(['up']);

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** The metric names a PromQL expression selects: its identifiers that are not functions or words. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/([a-zA-Z_:][\w:]*)\s*(\()?/g)]
    .filter(([, name, call]) => call === undefined && !PROMQL_WORDS.has(name ?? ''))
    .map(([, name]) => name ?? '');
}

/** Every name a scrape of `registry` can show: histograms with their _bucket, _sum and _count. */
async function namesOf(registry: Registry): Promise<string[]> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.flatMap((m) =>
    String(m.type) === 'histogram'
      ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
      : [m.name],
  );
}

test('every panel of the Grafana dashboard queries metrics our processes register', async (t) => {
  const { topic, dlq } = await freshTopics('dashboard', 1);
  const sql = testSql(2);
  t.after(() => sql.end({ timeout: 5 }));
  const config = configWith({
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: uniqueName('dashboard'),
    KAFKA_CLIENT_ID: uniqueName('dashboard'),
  });
  const registries: Registry[] = [];
  const rest = await createRestRuntime(config, { log, sql, createTopics: false });
  t.after(() => rest.close());
  registries.push(rest.metrics);
  const grpc = await createGrpcRuntime(config, { log, sql, closeGraceMs: 0 });
  t.after(() => grpc.close());
  registries.push(grpc.metrics);
  for (const client of ['platformatic', 'confluent'] as const) {
    const consumer = await createConsumerRuntime(config, client, { log, sql, createTopics: false });
    t.after(() => consumer.close());
    registries.push(consumer.metrics);
  }
  const registered = new Set((await Promise.all(registries.map(namesOf))).flat());
  assert.ok(registered.has('grpc_server_handled_total') && registered.has('http_requests_total'));

  const dashboard = JSON.parse(
    readFileSync(join(DEPLOY, 'grafana', 'music-service.json'), 'utf8'),
  ) as { title: string; uid: string; panels: Panel[] };
  assert.equal(dashboard.uid, 'music-service');
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queried = panels.filter((p) => p.type !== 'row');
  assert.ok(queried.length >= 15, `${queried.length} panels`);
  const unknown: string[] = [];
  const used = new Set<string>();
  for (const panel of queried) {
    const exprs = (panel.targets ?? []).map((target) => target.expr ?? '');
    assert.ok(exprs.length > 0 && exprs.every((e) => e !== ''), `${panel.title}: a query each`);
    for (const name of exprs.flatMap(metricsOf)) {
      used.add(name);
      if (!registered.has(name) && !PROMETHEUS_OWN.has(name))
        unknown.push(`${panel.title}: ${name}`);
    }
  }
  assert.deepEqual(unknown, [], 'panels on metrics no process registers');
  // Each process's own metrics are on the dashboard, not only the REST API's.
  for (const name of [
    'grpc_server_handled_total',
    'music_consumer_records_processed_total',
    'music_consumer_partition_lag',
    'music_consumer_dead_letters_total',
    'music_consumer_rebalances_total',
  ])
    assert.ok(used.has(name), `the dashboard shows ${name}`);
});

test('the Prometheus config scrapes every process that serves metrics, at its default port', () => {
  const prometheus = readYaml<{
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
  }>(join(DEPLOY, 'prometheus', 'prometheus.yml'));
  const targets = new Map(
    prometheus.scrape_configs.map((job) => [
      job.job_name,
      job.static_configs?.flatMap((s) => s.targets) ?? [],
    ]),
  );
  const serving = SERVICES.filter((s) => s.servesMetrics).map((s) => s.name);
  assert.deepEqual(serving, Object.keys(METRICS_PORTS), 'every process serves metrics');
  for (const [name, port] of Object.entries(METRICS_PORTS))
    assert.deepEqual(targets.get(`music-${name}`), [`127.0.0.1:${port}`], name);
});

test('metricsOf finds the metric names of a query and nothing else', () => {
  assert.deepEqual(
    metricsOf(
      'histogram_quantile(0.95, sum by (le, job) (rate(music_x_bucket{job=~"a.*"}[5m]))) / on (job) up',
    ),
    ['music_x_bucket', 'up'],
  );
});
