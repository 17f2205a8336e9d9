import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { listenStored } from '../../adapters/db/album-events.ts';
import { listenAlbumGenerations } from '../../adapters/db/album-generations.ts';
import type { Sql } from '../../adapters/db/client.ts';
import { IdAllocator } from '../../adapters/db/id-allocator.ts';
import { IdempotencyKeys } from '../../adapters/db/idempotency-keys.ts';
import { createAlbumRepository } from '../../adapters/db/orm/album-repository.ts';
import type { MetricsServer } from '../../adapters/http/metrics-server.ts';
import { kafkaConnectionOf } from '../../adapters/kafka/connection.ts';
import { createGroupProbe, type GroupProbe } from '../../adapters/kafka/group-probe.ts';
import {
  createPublisher,
  mayBeStored,
  type Publisher,
  processTransactionalId,
} from '../../adapters/kafka/publisher.ts';
import { tracedPublisher } from '../../adapters/kafka/traced-publisher.ts';
import { createMetricsRegistry, type Registry } from '../../adapters/metrics/registry.ts';
import { type Closer, startOrUndo } from '../../shared/closer.ts';
import type { Config } from '../../shared/config.ts';
import { createGenerationCache, type GenerationCache } from '../../shared/generation-cache.ts';
import { startTracing } from '../../shared/tracing.ts';
import {
  type KafkaRuntimeOverrides,
  runtimeLog,
  runtimeMetricsServer,
  runtimeSql,
  runtimeTopics,
} from '../runtime-parts.ts';
import { buildRestApp, type RestApp } from './app.ts';
import { clusterMetrics } from './metrics/cluster-metrics.ts';
import { dbMetrics, type TrackDb } from './metrics/db-metrics.ts';
import { producerMetrics } from './metrics/producer-metrics.ts';
import { createReadiness } from './readiness.ts';
import type { ListAnswer } from './routes/album-reads.ts';
import { standbyReads } from './standby-reads.ts';

/** What a test may change: see RuntimeOverrides; REST_PORT and METRICS_PORT 0 take any free port. */
export interface RestOverrides extends KafkaRuntimeOverrides {
  /** Wraps the publisher, e.g. to count publishes or make them fail; close() closes the real one. */
  readonly publisher?: (real: Publisher) => Publisher;
  /** Wraps the cluster probe of readiness and metrics, e.g. to count its calls. */
  readonly probe?: (real: GroupProbe) => GroupProbe;
  /** The probe's own request timeout, in milliseconds. */
  readonly probeTimeoutMs?: number;
  /** How long scrapes share one reading of the cluster, in milliseconds. */
  readonly clusterCacheMs?: number;
  /** A standby's client the caller owns: reads go to it while it keeps up (standby-reads.ts). */
  readonly readSql?: Sql;
}

/** The REST API, started: its parts as tests need them, and how to stop it. */
export interface RestRuntime {
  readonly app: RestApp;
  /** Where it listens (the port the system chose when REST_PORT was 0). */
  readonly address: { readonly host: string; readonly port: number };
  readonly probe: GroupProbe;
  readonly metrics: Registry;
  /** Where Prometheus scrapes the metrics (METRICS_HOST and METRICS_PORT, not the API's port). */
  readonly metricsServer: Pick<MetricsServer, 'host' | 'port' | 'url'>;
  /** Times database work into the pool metrics, as every query of the API is. */
  readonly trackDb: TrackDb;
  /** Stops taking requests, drains those in flight, then closes probe, publisher and database. */
  close(): Promise<void>;
}

/** How often each REST process deletes expired Idempotency-Keys (each run a small batch). */
const PURGE_KEYS_EVERY_MS = 10 * 60_000;

/** The built UI, served at `/` when it exists. */
const UI_DIR = resolve(import.meta.dirname, '..', '..', '..', 'ui', 'dist');

/** The REST API's composition root: every part created from the configuration and wired here. */
export function createRestRuntime(config: Config, o: RestOverrides = {}): Promise<RestRuntime> {
  const log = runtimeLog(config, 'rest', o);
  return startOrUndo(async (parts) => {
    // Owned first, so it closes last and exports the spans of the drain too.
    parts.own(startTracing(config, 'rest'), (own) => own.close());
    await runtimeTopics(config, o);
    const metrics = createMetricsRegistry();
    const trackDb = dbMetrics(metrics, config.DB_POOL_MAX);
    // One pool, as the writer: the REST API writes idempotency keys and takes ids, and reads
    // albums through the same connections (the writer may SELECT). A second pool as the reader
    // would double its connections (DB_POOL_MAX) and forbid nothing the writer's rights allow.
    const sql = runtimeSql(parts, o, {
      url: config.DATABASE_WRITE_URL,
      max: config.DB_POOL_MAX,
      applicationName: 'music-rest',
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    });
    const realPublisher = parts.own(
      createPublisher({
        kafka: kafkaConnectionOf(config),
        clientId: `${config.KAFKA_CLIENT_ID}-rest`,
        timeoutMs: config.PRODUCE_TIMEOUT_MS,
        roundSpacingMs: config.PRODUCE_ROUND_SPACING_MS,
        // Each round of publishes is one transaction: a 503 means none of its albums is stored.
        transactionalId: processTransactionalId(`${config.KAFKA_CLIENT_ID}-rest`),
        onOutcome: producerMetrics(metrics),
      }),
      (own) => own.close(),
    );
    // The first write should not pay for finding the transaction coordinator (seconds on a
    // broker's first transaction); a broker that is down now does not hold the start, though.
    if (!(await realPublisher.ready(config.PRODUCE_TIMEOUT_MS)))
      log.warn('Kafka producers not initialised yet: writes answer 503 until the broker answers');
    const traced = tracedPublisher(realPublisher);
    const publisher = o.publisher ? o.publisher(traced) : traced;
    const realProbe = parts.own(
      createGroupProbe(
        kafkaConnectionOf(config),
        `${config.KAFKA_CLIENT_ID}-rest-probe`,
        o.probeTimeoutMs,
      ),
      (own) => own.close(),
    );
    const probe = o.probe ? o.probe(realProbe) : realProbe;
    clusterMetrics({
      registry: metrics,
      probe,
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      dlqTopic: config.KAFKA_DLQ_TOPIC,
      stallAfterMs: config.CONSUMER_STALL_AFTER_MS,
      log,
      ...(o.clusterCacheMs === undefined ? {} : { cacheMs: o.clusterCacheMs }),
    });
    const ids = new IdAllocator(sql);
    const onPrimary = createAlbumRepository(sql);
    // With a standby (DATABASE_READ_URL elsewhere), reads go to it while it keeps up.
    const replica = standbyReads(parts, config, sql, o.readSql);
    const onStandby = replica === null ? onPrimary : createAlbumRepository(replica.standby);
    const albums = () =>
      replica === null || replica.reads() === replica.standby ? onStandby : onPrimary;
    // List answers kept until the albums table changes (heard of on a connection of its own),
    // only where every read sees the commits announced: never while reads may go to a standby.
    const answers = replica === null ? keptListAnswers(parts, sql) : undefined;
    // A claimed key outlives any write (ids, then the producer's deadline) by far.
    const keys = new IdempotencyKeys(sql, {
      leaseMs: Math.max(5 * 60_000, 4 * config.PRODUCE_TIMEOUT_MS),
    });
    const purgeKeys = () => {
      trackDb(() => keys.purge()).catch((err: unknown) => {
        log.warn({ err }, 'could not delete expired idempotency keys');
      });
    };
    const purging = setInterval(purgeKeys, PURGE_KEYS_EVERY_MS).unref();
    parts.defer(() => clearInterval(purging));

    // Owned before the app so that it closes after it: scrapes still see the drain.
    const metricsServer = await runtimeMetricsServer(parts, config, metrics, log);
    const app = await buildRestApp({
      log,
      intake: {
        allocateIds: (count) => trackDb(() => ids.take(count)),
        publish: (messages) => publisher.publish(config.KAFKA_TOPIC, messages),
        mayHaveWritten: mayBeStored,
      },
      idempotencyKeys: {
        claim: (scope, fingerprint, claim) => trackDb(() => keys.claim(scope, fingerprint, claim)),
        complete: (scope, claim, answer) => trackDb(() => keys.complete(scope, claim, answer)),
        release: (scope, claim) => trackDb(() => keys.release(scope, claim)),
      },
      answers,
      albums: {
        list: (query) => trackDb(() => albums().list(query)),
        count: (filter) => trackDb(() => albums().count(filter)),
        get: (id) => trackDb(() => albums().get(id)),
      },
      readiness: createReadiness(sql, probe, {
        groupId: config.KAFKA_GROUP_ID,
        topic: config.KAFKA_TOPIC,
        stallAfterMs: config.CONSUMER_STALL_AFTER_MS,
        replica,
      }),
      events: (onIds) => listenStored(sql, onIds),
      metrics,
      security: {
        rateLimitMax: config.RATE_LIMIT_MAX,
        rateLimitWindowMs: config.RATE_LIMIT_WINDOW_MS,
        rateLimitExemptLoopback: config.RATE_LIMIT_EXEMPT_LOOPBACK,
        corsOrigins: config.CORS_ORIGINS,
      },
      uiDir: UI_DIR,
    });
    // Owned last so it closes first: stop taking requests and drain those in flight.
    parts.own(app, (own) => own.close());
    await app.listen({ host: config.REST_HOST, port: config.REST_PORT });
    const { port } = app.server.address() as AddressInfo;
    return {
      app,
      address: { host: config.REST_HOST, port },
      probe,
      metrics,
      metricsServer,
      trackDb,
      close: () => parts.close(),
    };
  });
}

/** Distinct list requests (filters, sorts, pages) whose answers are kept. */
const KEPT_LISTS = 1024;

function keptListAnswers(parts: Closer, sql: Sql): GenerationCache<ListAnswer> {
  const generations = listenAlbumGenerations(sql);
  parts.defer(() => generations.close());
  return createGenerationCache<ListAnswer>(generations, KEPT_LISTS);
}
