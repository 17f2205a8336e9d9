// Each consumer's own /metrics, against the real broker and database: the runtime that
// src/apps/consumer/main.ts starts, scraped over HTTP on its metrics port while it stores albums
// and dead-letters bad records of a topic and group of its own, so every count is exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConsumerRuntime } from '../../../src/apps/consumer/runtime.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  produceRaw,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { metricValue, parseMetrics, type Sample, samplesOf } from '../rest/prometheus-text.ts';
import { albumOf, CLIENTS, countBetween, produceAlbums } from './support.ts';

const PARTITIONS = 3;

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  return parseMetrics(await response.text());
}

for (const client of CLIENTS) {
  test(`the ${client} consumer serves its own metrics: batches, upserts, dead letters, partitions, lag`, async (t) => {
    const { topic, dlq } = await freshTopics(`metrics-${client}`, PARTITIONS);
    const groupId = uniqueName(`metrics-${client}`);
    // The consumer's own lines, kept: each dead letter and each group join is logged once.
    const lines: { msg: string; reason?: string }[] = [];
    const log = createLogger(`consumer-${client}`, 'info', {
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const sql = testSql(2);
    t.after(() => sql.end({ timeout: 5 }));
    const runtime = await createConsumerRuntime(
      configWith({
        KAFKA_CLIENT_ID: uniqueName(`metrics-${client}`),
        KAFKA_GROUP_ID: groupId,
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: dlq,
        CONSUMER_BATCH_WAIT_MS: 20,
      }),
      client,
      { log, createTopics: false },
    );
    t.after(() => runtime.close());
    assert.match(runtime.metricsServer.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(runtime.metricsServer.port, 0, 'port 0 took a free one');

    const ids = idBlock(5);
    await produceAlbums(
      topic,
      ids.map((id) => albumOf(id, 'metrics')),
    );
    await produceRaw(topic, [
      { key: 'empty', value: new Uint8Array() },
      { key: 'garbage', value: new Uint8Array([0xff, 0xff, 0xff]) },
    ]);

    const samples = await waitFor(
      'all 7 records processed and the lag at 0',
      async () => {
        const s = await scrape(runtime.metricsServer.url);
        const done = metricValue(s, 'music_consumer_records_processed_total') === 7;
        const lag = samplesOf(s, 'music_consumer_partition_lag', { topic });
        const caughtUp = lag.length === PARTITIONS && lag.every((l) => l.value === 0);
        return done && caughtUp ? s : undefined;
      },
      90_000,
    );
    assert.equal(await countBetween(sql, ids[0] ?? 0, ids.at(-1) ?? 0), 5);

    // Alone in its group: it holds every partition, after at least one join.
    const held = samplesOf(samples, 'music_consumer_assigned_partitions', { topic });
    assert.deepEqual(held.map((s) => s.labels.partition).sort(), ['0', '1', '2']);
    assert.ok((metricValue(samples, 'music_consumer_rebalances_total') ?? 0) >= 1);

    // Dead letters by the kind of reason, never by the record.
    assert.equal(
      metricValue(samples, 'music_consumer_dead_letters_total', { reason: 'empty message value' }),
      1,
    );
    assert.equal(
      metricValue(samples, 'music_consumer_dead_letters_total', { reason: 'not a service.Album' }),
      1,
    );
    assert.equal(samplesOf(samples, 'music_consumer_dead_letters_total').length, 2);

    const logged = (msg: string) => lines.filter((l) => l.msg === msg);
    assert.deepEqual(
      logged('dead-lettered a record')
        .map((l) => l.reason?.split(':', 1)[0])
        .sort(),
      ['empty message value', 'not a service.Album'],
      'one line per dead letter',
    );
    assert.equal(
      logged('kafka consumer joined group').length,
      metricValue(samples, 'music_consumer_rebalances_total'),
      'one line per rebalance, as counted',
    );

    // Every record went through a batch; every batch with albums made one timed upsert.
    assert.equal(metricValue(samples, 'music_consumer_batch_records_sum'), 7);
    const batches = metricValue(samples, 'music_consumer_batch_records_count') ?? 0;
    assert.ok(batches >= 1 && batches <= 7, `${batches} batches`);
    const upserts = metricValue(samples, 'music_consumer_upsert_duration_seconds_count') ?? 0;
    assert.ok(upserts >= 1 && upserts <= batches, `${upserts} upserts in ${batches} batches`);
    // Node's own metrics come along, under the same prefix as the REST API's.
    assert.ok(samplesOf(samples, 'music_process_cpu_seconds_total').length > 0);
    // And nothing of the REST API's: these are the consumer's own.
    assert.equal(samplesOf(samples, 'http_requests_total').length, 0);
  });
}
