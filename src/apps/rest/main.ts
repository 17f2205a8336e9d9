import { resolve } from 'node:path';
import { listenStored } from '../../adapters/db/album-events.ts';
import { createSql } from '../../adapters/db/client.ts';
import { IdAllocator } from '../../adapters/db/id-allocator.ts';
import { createAlbumRepository } from '../../adapters/db/orm/album-repository.ts';
import { createGroupProbe } from '../../adapters/kafka/group-probe.ts';
import { createPublisher } from '../../adapters/kafka/publisher.ts';
import { albumTopics, ensureTopics } from '../../adapters/kafka/topics.ts';
import { runProcess } from '../../shared/process.ts';
import { buildRestApp } from './app.ts';
import { clusterMetrics } from './metrics/cluster-metrics.ts';
import { dbMetrics } from './metrics/db-metrics.ts';
import { producerMetrics } from './metrics/producer-metrics.ts';
import { createMetricsRegistry } from './metrics/registry.ts';
import { createReadiness } from './readiness.ts';

/** The REST API process: its parts are created here and closed in reverse on shutdown. */
await runProcess('rest', async ({ config, log, onShutdown }) => {
  await ensureTopics(config.KAFKA_BROKERS, albumTopics(config));
  const metrics = createMetricsRegistry();
  const trackDb = dbMetrics(metrics, config.DB_POOL_MAX);
  const sql = createSql({
    url: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    applicationName: 'music-rest',
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  onShutdown(() => sql.end({ timeout: 5 }));
  const publisher = createPublisher({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-rest`,
    timeoutMs: config.PRODUCE_TIMEOUT_MS,
    onOutcome: producerMetrics(metrics),
  });
  onShutdown(() => publisher.close());
  const probe = createGroupProbe(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-rest-probe`);
  onShutdown(() => probe.close());
  clusterMetrics({
    registry: metrics,
    probe,
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    dlqTopic: config.KAFKA_DLQ_TOPIC,
    log,
  });
  const ids = new IdAllocator(sql);
  const albums = createAlbumRepository(sql);

  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: (count) => trackDb(() => ids.take(count)),
      publish: (messages) => publisher.publish(config.KAFKA_TOPIC, messages),
    },
    albums: {
      list: (query) => trackDb(() => albums.list(query)),
      get: (id) => trackDb(() => albums.get(id)),
    },
    readiness: createReadiness(sql, probe, config.KAFKA_GROUP_ID),
    events: (onIds) => listenStored(sql, onIds),
    metrics,
    security: {
      rateLimitMax: config.RATE_LIMIT_MAX,
      rateLimitWindowMs: config.RATE_LIMIT_WINDOW_MS,
      corsOrigins: config.CORS_ORIGINS,
    },
    uiDir: resolve(import.meta.dirname, '..', '..', '..', 'ui', 'dist'),
  });
  // Registered last so it runs first: stop taking requests and drain those in flight.
  await app.listen({ host: config.REST_HOST, port: config.REST_PORT });
  onShutdown(() => app.close());
});
