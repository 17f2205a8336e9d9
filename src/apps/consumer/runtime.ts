import { storeAlbumChanges } from '../../adapters/db/album-changes.ts';
import { notifyStored } from '../../adapters/db/album-events.ts';
import type { Sql } from '../../adapters/db/client.ts';
import { keepDeadLetters, relayDeadLetters } from '../../adapters/db/dead-letter-outbox.ts';
import { withinDeadline } from '../../adapters/db/query-deadline.ts';
import { isDataError } from '../../adapters/db/sqlstate.ts';
import type { MetricsServer } from '../../adapters/http/metrics-server.ts';
import { createConfluentConsumer } from '../../adapters/kafka/confluent-consumer.ts';
import { kafkaConnectionOf } from '../../adapters/kafka/connection.ts';
import { createGroupProbe } from '../../adapters/kafka/group-probe.ts';
import { createPlatformaticConsumer } from '../../adapters/kafka/platformatic-consumer.ts';
import { createPublisher, type Publisher } from '../../adapters/kafka/publisher.ts';
import { isRecordTooLarge } from '../../adapters/kafka/record-too-large.ts';
import { restartingConsumer } from '../../adapters/kafka/restarting-consumer.ts';
import type { BatchConsumer, KafkaClientName } from '../../adapters/kafka/types.ts';
import { createMetricsRegistry, type Registry } from '../../adapters/metrics/registry.ts';
import { startOrUndo } from '../../shared/closer.ts';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { startTracing } from '../../shared/tracing.ts';
import {
  type KafkaRuntimeOverrides,
  runtimeLog,
  runtimeMetricsServer,
  runtimeSql,
  runtimeTopics,
} from '../runtime-parts.ts';
import { type ConsumerMetrics, consumerMetrics } from './consumer-metrics.ts';
import { createDeadLetterRelay, publishInOrder } from './dead-letter-relay.ts';
import { createBatchProcessor, type ProcessorPorts } from './processor.ts';

/** What a test may change: see RuntimeOverrides. */
export interface ConsumerOverrides extends KafkaRuntimeOverrides {
  /** Wraps the group member, e.g. to watch the batches it delivers. */
  readonly consumer?: (real: BatchConsumer) => BatchConsumer;
  /** Wraps the processing's ports, e.g. to count the rows each store changed. */
  readonly ports?: (real: ProcessorPorts) => ProcessorPorts;
  /** Wraps the dead-letter topic's producer, e.g. to fail it as an outage would. */
  readonly dlq?: (real: Publisher) => Publisher;
}

/** A consumer, started: a member of the group, storing what it reads. */
export interface ConsumerRuntime {
  readonly client: KafkaClientName;
  readonly consumer: BatchConsumer;
  readonly metrics: Registry;
  /** Where Prometheus scrapes this consumer (METRICS_HOST and METRICS_PORT). */
  readonly metricsServer: Pick<MetricsServer, 'host' | 'port' | 'url'>;
  /**
   * Settles when the consumer stops: resolves once close() let it finish, rejects with the
   * error it gave up on (during close() too). The runtime itself never lets it go unhandled.
   */
  readonly stopped: Promise<void>;
  /** Gives up retrying, lets the batch in hand finish, leaves the group, closes the rest. */
  close(): Promise<void>;
}

/**
 * The consumer's store step: upsert and delete the batch's albums, then tell the REST APIs' live
 * views which albums changed (a deleted one reads as 404). Only the store decides the batch's fate.
 */
function storeAndNotify(
  sql: Sql,
  log: Logger,
  metrics: ConsumerMetrics,
  deadlineMs: number,
): ProcessorPorts['store'] {
  return async (changes) => {
    const ids = await metrics.timeUpsert(() =>
      withinDeadline(sql, deadlineMs, (watch) => storeAlbumChanges(sql, changes, watch)),
    );
    // Live views are a courtesy: a lost notification must not hold back the batch.
    await withinDeadline(sql, deadlineMs, (watch) => notifyStored(sql, ids, watch)).catch(
      (err: unknown) => log.warn({ err }, 'could not notify stored albums'),
    );
    return ids;
  };
}

/**
 * How long one store may take before its connection is ended and the store retried: its three
 * statements (the locks, the deletes, the upserts), each bounded by the statement timeout. None
 * without one.
 */
const storeDeadlineMs = (statementTimeoutMs: number) => 3 * statementTimeoutMs;

/** A consumer process's composition root, on the chosen Kafka client. */
export function createConsumerRuntime(
  config: Config,
  client: KafkaClientName,
  o: ConsumerOverrides = {},
): Promise<ConsumerRuntime> {
  const log = runtimeLog(config, `consumer-${client}`, o);
  return startOrUndo(async (parts) => {
    // Owned first, so it closes last and exports the spans of the last batch too.
    parts.own(startTracing(config, `consumer-${client}`), (own) => own.close());
    await runtimeTopics(config, o);
    const registry = createMetricsRegistry();
    const probe = parts.own(
      createGroupProbe(kafkaConnectionOf(config), `${config.KAFKA_CLIENT_ID}-${client}-probe`),
      (own) => own.close(),
    );
    const metrics = consumerMetrics({
      registry,
      probe,
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      log,
    });
    const metricsServer = await runtimeMetricsServer(parts, config, registry, log);
    // As the writer: albums, the dead-letter outbox, never DDL.
    const sql = runtimeSql(parts, o, {
      url: config.DATABASE_WRITE_URL,
      // The batch's statements, and the dead-letter relay's transaction beside them.
      max: 3,
      applicationName: `music-consumer-${client}`,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    });
    const realDlq = parts.own(
      createPublisher({
        kafka: kafkaConnectionOf(config),
        clientId: `${config.KAFKA_CLIENT_ID}-dlq-${client}`,
        timeoutMs: config.PRODUCE_TIMEOUT_MS,
      }),
      (own) => own.close(),
    );
    const dlq = o.dlq ? o.dlq(realDlq) : realDlq;
    const topic = config.KAFKA_DLQ_TOPIC;
    // Closed before the producer and the database it uses (parts close in reverse order).
    const relay = parts.own(
      createDeadLetterRelay({
        log,
        pass: () =>
          relayDeadLetters(sql, topic, (letters) =>
            publishInOrder(
              letters,
              { publish: (m) => dlq.publish(topic, m), isTooLarge: isRecordTooLarge },
              log,
            ),
          ),
      }),
      (own) => own.close(),
    );
    const options = {
      kafka: kafkaConnectionOf(config),
      clientId: `${config.KAFKA_CLIENT_ID}-${client}`,
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      batchSize: config.CONSUMER_BATCH_SIZE,
      batchWaitMs: config.CONSUMER_BATCH_WAIT_MS,
      fetchWaitMs: config.CONSUMER_FETCH_WAIT_MS,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      groupInstanceId: config.KAFKA_GROUP_INSTANCE_ID,
      onAssign: (partitions: readonly number[], joined: boolean) =>
        metrics.assigned(partitions, joined),
    };
    // A member the client gave up on is replaced in place (restarting-consumer.ts).
    const real: BatchConsumer = restartingConsumer(
      () =>
        client === 'platformatic'
          ? createPlatformaticConsumer(options, log)
          : createConfluentConsumer(options, log),
      log,
    );
    const consumer = o.consumer ? o.consumer(real) : real;
    const ports: ProcessorPorts = {
      store: storeAndNotify(sql, log, metrics, storeDeadlineMs(config.DB_STATEMENT_TIMEOUT_MS)),
      deadLetter: async (messages) => {
        await keepDeadLetters(sql, topic, messages);
        metrics.deadLettered(messages);
        relay.kick();
      },
      isPermanent: isDataError,
    };
    // Aborted first at close, so that a failing batch is given up instead of retried.
    const shutdown = new AbortController();
    const handle = metrics.observeBatches(
      createBatchProcessor(o.ports ? o.ports(ports) : ports, {
        client,
        log,
        signal: shutdown.signal,
      }),
    );
    parts.own(real, (own) => own.close());
    parts.defer(() => shutdown.abort());
    const stopped = consumer.run(handle);
    stopped.catch(() => {});
    return {
      client,
      consumer,
      metrics: registry,
      metricsServer,
      stopped,
      close: () => parts.close(),
    };
  });
}
