import { parseArgs } from 'node:util';
import { notifyStored } from '../../adapters/db/album-events.ts';
import { upsertAlbums } from '../../adapters/db/album-upsert.ts';
import { createSql } from '../../adapters/db/client.ts';
import { isDataError } from '../../adapters/db/sqlstate.ts';
import { createConfluentConsumer } from '../../adapters/kafka/confluent-consumer.ts';
import { createPlatformaticConsumer } from '../../adapters/kafka/platformatic-consumer.ts';
import { createPublisher } from '../../adapters/kafka/publisher.ts';
import { albumTopics, ensureTopics } from '../../adapters/kafka/topics.ts';
import {
  type BatchConsumer,
  KAFKA_CLIENTS,
  type KafkaClientName,
} from '../../adapters/kafka/types.ts';
import { runProcess } from '../../shared/process.ts';
import { createBatchProcessor } from './processor.ts';

export const CLIENTS = KAFKA_CLIENTS;
export type ClientName = KafkaClientName;

/** One consumer process on the chosen Kafka client; both share the processing. */
export function runConsumer(client: ClientName): Promise<void> {
  return runProcess(`consumer-${client}`, async ({ config, log, onShutdown, signal, stop }) => {
    await ensureTopics(config.KAFKA_BROKERS, albumTopics(config));
    const sql = createSql({
      url: config.DATABASE_URL,
      max: 2,
      applicationName: `music-consumer-${client}`,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    });
    onShutdown(() => sql.end({ timeout: 5 }));
    const dlq = createPublisher({
      brokers: config.KAFKA_BROKERS,
      clientId: `${config.KAFKA_CLIENT_ID}-dlq-${client}`,
      timeoutMs: config.PRODUCE_TIMEOUT_MS,
    });
    onShutdown(() => dlq.close());

    const options = {
      brokers: config.KAFKA_BROKERS,
      clientId: `${config.KAFKA_CLIENT_ID}-${client}`,
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      batchSize: config.CONSUMER_BATCH_SIZE,
      batchWaitMs: config.CONSUMER_BATCH_WAIT_MS,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    };
    const consumer: BatchConsumer =
      client === 'platformatic'
        ? createPlatformaticConsumer(options, log)
        : createConfluentConsumer(options, log);
    const handle = createBatchProcessor(
      {
        store: async (changes) => {
          const ids = await upsertAlbums(sql, changes);
          // Live views are a courtesy: a lost notification must not hold back the batch.
          await notifyStored(sql, ids).catch((err: unknown) =>
            log.warn({ err }, 'could not notify stored albums'),
          );
          return ids;
        },
        deadLetter: (messages) => dlq.publish(config.KAFKA_DLQ_TOPIC, messages),
        isPermanent: isDataError,
      },
      { client, log, signal },
    );
    onShutdown(() => consumer.close());
    consumer.run(handle).then(
      () => log.info('consumer stopped'),
      (err: unknown) => {
        if (signal.aborted) return;
        log.fatal({ err }, 'consumer failed');
        stop('consumer failed', 1);
      },
    );
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { client: { type: 'string', default: 'platformatic' } },
  });
  const client = CLIENTS.find((c) => c === values.client);
  if (!client) {
    process.stderr.write(
      `consumer: --client must be one of ${CLIENTS.join(', ')} (got ${values.client})\n`,
    );
    process.exit(2);
  }
  await runConsumer(client);
}
