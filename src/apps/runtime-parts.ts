import { createSql, type DbOptions, type Sql } from '../adapters/db/client.ts';
import {
  type MetricsServer,
  type MetricsSource,
  startMetricsServer,
} from '../adapters/http/metrics-server.ts';
import { kafkaConnectionOf } from '../adapters/kafka/connection.ts';
import { albumTopics, ensureTopics } from '../adapters/kafka/topics.ts';
import type { Closer } from '../shared/closer.ts';
import { type Config, secretsOf } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

/**
 * What every runtime lets its caller change beyond the configuration (which already names the
 * database, brokers, topics, group and ports). The wiring itself is never among it.
 */
export interface RuntimeOverrides {
  /** The process's logger; one at LOG_LEVEL when absent. */
  readonly log?: Logger | undefined;
  /**
   * A database client the caller owns and closes, e.g. on a private cluster a test stops or
   * with an application name it kills connections by; otherwise one is made from the URL of the
   * role the runtime runs as (DATABASE_WRITE_URL or DATABASE_READ_URL)
   * and closed with the runtime.
   */
  readonly sql?: Sql | undefined;
}

/** The overrides of a runtime that talks to Kafka. */
export interface KafkaRuntimeOverrides extends RuntimeOverrides {
  /** Whether to create the album topics at start (yes); no when the caller made its own. */
  readonly createTopics?: boolean | undefined;
}

/** The caller's logger, or the process's own one, secrets redacted. */
export function runtimeLog(config: Config, name: string, o: RuntimeOverrides): Logger {
  return o.log ?? createLogger(name, config.LOG_LEVEL, { secrets: secretsOf(config) });
}

/** The caller's database client, or one of the runtime's own, ended when `parts` close. */
export function runtimeSql(parts: Closer, o: RuntimeOverrides, db: DbOptions): Sql {
  return o.sql ?? parts.own(createSql(db), (own) => own.end({ timeout: 5 }));
}

/** Creates the album topics that are missing, unless the caller said not to. */
export async function runtimeTopics(config: Config, o: KafkaRuntimeOverrides): Promise<void> {
  if (o.createTopics !== false && config.KAFKA_CREATE_TOPICS)
    await ensureTopics(kafkaConnectionOf(config), albumTopics(config));
}

/**
 * The process's Prometheus endpoint on METRICS_HOST:METRICS_PORT (each process has its own
 * default port), closed when `parts` close.
 */
export async function runtimeMetricsServer(
  parts: Closer,
  config: Config,
  source: MetricsSource,
  log: Logger,
): Promise<MetricsServer> {
  return parts.own(
    await startMetricsServer({
      source,
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      token: config.METRICS_TOKEN,
      log,
    }),
    (own) => own.close(),
  );
}
