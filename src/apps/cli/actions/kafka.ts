import { createSql, type Sql } from '../../../adapters/db/client.ts';
import { IdAllocator } from '../../../adapters/db/id-allocator.ts';
import { createConfluentPublisher } from '../../../adapters/kafka/confluent-publisher.ts';
import { kafkaConnectionOf } from '../../../adapters/kafka/connection.ts';
import { createPublisher, type Publisher } from '../../../adapters/kafka/publisher.ts';
import { albumTopics, ensureTopics } from '../../../adapters/kafka/topics.ts';
import type { KafkaClientName } from '../../../adapters/kafka/types.ts';
import type { AlbumSubmission } from '../../../domain/album.ts';
import { acceptAlbums, type IntakePorts } from '../../../services/album-intake.ts';
import { redactUrl } from '../../../shared/config.ts';
import { IdRange, sendInBatches, summarize, summaryLine } from '../batches.ts';
import type { CliContext } from '../context.ts';
import { reaching } from '../failure.ts';
import { checkIdRange } from '../options.ts';
import { type AlbumTemplate, checkTemplate, sampleAlbum } from '../sample-albums.ts';

export interface ProduceOptions extends AlbumTemplate {
  readonly client: KafkaClientName;
  readonly count: number;
  readonly firstId?: number;
  readonly batchSize: number;
  readonly concurrency: number;
}

/**
 * New album ids from the sequence the REST API uses, so that produced albums never overwrite
 * existing ones; the database is only connected to once an id is needed.
 */
function sequenceIds(url: string) {
  let db: { readonly sql: Sql; readonly ids: IdAllocator } | undefined;
  return {
    take(count: number): Promise<number[]> {
      if (db === undefined) {
        const sql = createSql({ url, max: 1, applicationName: 'music-cli' });
        db = { sql, ids: new IdAllocator(sql) };
      }
      const { ids } = db;
      return reaching('PostgreSQL', redactUrl(url), () => ids.take(count));
    },
    close: () => db?.sql.end({ timeout: 5 }),
  };
}

/**
 * `music kafka produce`: generated albums as keyed service.Album records on KAFKA_TOPIC, with
 * ids from the database sequence unless --first-id gives them.
 */
export async function produce(ctx: CliContext, o: ProduceOptions): Promise<void> {
  checkIdRange(o.firstId, o.count);
  checkTemplate(o, o.count);
  const config = ctx.config();
  const brokers = config.KAFKA_BROKERS.join(',');
  await reaching('Kafka', brokers, () =>
    ensureTopics(kafkaConnectionOf(config), albumTopics(config)),
  );

  const options = {
    kafka: kafkaConnectionOf(config),
    clientId: `${config.KAFKA_CLIENT_ID}-cli-${o.client}`,
    timeoutMs: config.PRODUCE_TIMEOUT_MS,
  };
  const publisher: Publisher =
    o.client === 'platformatic'
      ? createPublisher(options)
      : createConfluentPublisher(options, ctx.log());
  const sequence = sequenceIds(config.DATABASE_WRITE_URL);
  const ports: IntakePorts = {
    allocateIds: (count) => sequence.take(count),
    publish: (messages) =>
      reaching('Kafka', brokers, () => publisher.publish(config.KAFKA_TOPIC, messages)),
  };

  const ids = new IdRange();
  const started = performance.now();
  try {
    await sendInBatches(
      { total: o.count, batchSize: o.batchSize, concurrency: o.concurrency },
      async (start, size) => {
        const albums = Array.from(
          { length: size },
          (_, k): AlbumSubmission => ({
            id: o.firstId === undefined ? undefined : o.firstId + start + k,
            ...sampleAlbum(o, start + k, o.count),
          }),
        );
        ids.add((await acceptAlbums(ports, albums)).map((a) => a.id));
      },
      ctx.progress(o.count, 'albums'),
    );
  } finally {
    await publisher.close();
    await sequence.close();
  }
  const summary = {
    client: o.client,
    topic: config.KAFKA_TOPIC,
    ...summarize(o.count, ids, started),
  };
  ctx.out.result(summary, () =>
    summaryLine('produced', summary, `to ${summary.topic} with ${o.client}`),
  );
}
