// Helpers of the consumer tests: album fixtures, row reads, and an in-process consumer started by
// the runtime src/apps/consumer/main.ts starts, watched so that tests can count what it handled.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import type { KafkaConnection } from '../../../src/adapters/kafka/connection.ts';
import {
  type BatchConsumer,
  KAFKA_CLIENTS,
  type KafkaClientName,
} from '../../../src/adapters/kafka/types.ts';
import type { ProcessorPorts } from '../../../src/apps/consumer/processor.ts';
import {
  type ConsumerOverrides,
  type ConsumerRuntime,
  createConsumerRuntime,
} from '../../../src/apps/consumer/runtime.ts';
import { type AlbumRecord, centsToDecimal } from '../../../src/domain/album.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import type { BatchHandler, ConsumedMessage } from '../../../src/domain/events.ts';
import {
  configWith,
  kafka,
  kafkaSettings,
  log,
  produceRaw,
  uniqueName,
} from '../../support/stack.ts';
import { countRecords } from '../../support/topic-records.ts';

export const CLIENTS = KAFKA_CLIENTS;
export type Client = KafkaClientName;

/** Version `version` of album `id`: values differ per id and per version, prices up to 99,999.99. */
export function albumOf(id: number, label: string, version = 1): AlbumRecord {
  return {
    id,
    title: `${label} #${id} v${version}`,
    artist: `Artist ${id % 97}`,
    priceCents: BigInt((id * 7919 + version * 131) % 10_000_000),
  };
}

/** Publishes albums as this service does: encoded `service.Album`, keyed by id. */
export function produceAlbums(
  topic: string,
  albums: readonly AlbumRecord[],
  timestamp?: bigint,
): Promise<void> {
  return produceRaw(
    topic,
    albums.map((a) => ({ key: String(a.id), value: encodeAlbum(a), timestamp })),
  );
}

export interface Row {
  id: number;
  title: string;
  artist: string;
  price: string;
  eventTime: Date;
  eventPartition: number;
  eventOffset: string;
  updatedAt: Date;
}

/** Every row with an id in [first, last], sorted by id. */
export async function rowsBetween(sql: Sql, first: number, last: number): Promise<Row[]> {
  const rows = await sql<Row[]>`
    select id, title, artist, price::text as price, event_time as "eventTime",
           event_partition as "eventPartition", event_offset::text as "eventOffset",
           updated_at as "updatedAt"
    from music.albums where id between ${first} and ${last} order by id`;
  return rows.map((r) => ({ ...r }));
}

export async function countBetween(sql: Sql, first: number, last: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from music.albums where id between ${first} and ${last}`;
  return row?.n ?? 0;
}

/** Asserts that the rows of the albums' ids hold exactly their values (and no other row exists). */
export async function assertRowsEqual(sql: Sql, albums: readonly AlbumRecord[]): Promise<void> {
  const ids = albums.map((a) => a.id);
  const rows = await rowsBetween(sql, Math.min(...ids), Math.max(...ids));
  assert.equal(rows.length, albums.length, 'one row per album');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const wrong: string[] = [];
  for (const a of albums) {
    const r = byId.get(a.id);
    const want = { title: a.title, artist: a.artist, price: centsToDecimal(a.priceCents) };
    const got = r && { title: r.title, artist: r.artist, price: r.price };
    if (JSON.stringify(got) !== JSON.stringify(want))
      wrong.push(`${a.id}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows differ`);
}

export interface Running {
  readonly client: Client;
  /** Records handed to the handler and handled without error. */
  handled(): number;
  /** Rows the upserts inserted or changed. */
  changed(): number;
  /** Partitions this member handled records of. */
  readonly partitions: Set<number>;
  /** When the first batch reached the handler and the last one was done (ms since epoch). */
  firstBatchAt(): number;
  lastBatchAt(): number;
  isJoined(): boolean;
  /** Group joins so far (each rebalance that reached this member is one or two). */
  joins(): Promise<number>;
  /** Resolves when the consumer stops: with null after stop(), or with the error it died of. */
  readonly outcome: Promise<unknown>;
  stop(): Promise<void>;
}

export interface Tracker {
  /** `partition:offset` of every record handled, by whichever member. */
  readonly seen: Set<string>;
  duplicates: number;
}

export const newTracker = (): Tracker => ({ seen: new Set(), duplicates: 0 });

/**
 * The member `real`, with every batch it delivers passed through `around` on its way to the
 * handler: to watch batches, or to change them as a broken producer would have written them.
 */
export function aroundBatches(
  real: BatchConsumer,
  around: (batch: readonly ConsumedMessage[], handle: BatchHandler) => Promise<void>,
): BatchConsumer {
  return {
    client: real.client,
    isJoined: () => real.isJoined(),
    close: () => real.close(),
    run: (handle) => real.run((batch) => around(batch, handle)),
  };
}

/**
 * A consumer on `client` started by the consumer runtime (src/apps/consumer/runtime.ts), watched
 * as it delivers batches; stopped in t.after (which also asserts it stopped without an error).
 * Its database client is `sql` when given (the caller's), else a pool of its own.
 */
export function startConsumer(
  t: TestContext,
  o: {
    client: Client;
    topic: string;
    dlq: string;
    groupId: string;
    sql?: Sql;
    batchSize?: number;
    tracker?: Tracker;
    /** Another broker than the shared one, e.g. a private one a fault test stops. */
    kafka?: KafkaConnection;
    /** The consumer may die of an error (a supervisor restarts it); stop() then does not fail. */
    mayFail?: boolean;
    /** Wraps the processing's ports (inside the counting), e.g. to block or fail the store. */
    ports?: (real: ProcessorPorts) => ProcessorPorts;
    /** Wraps the dead-letter topic's producer, e.g. to fail it as an outage would. */
    dlqPublisher?: ConsumerOverrides['dlq'];
    /** Static group membership under this name (KAFKA_GROUP_INSTANCE_ID). */
    groupInstanceId?: string;
  },
): Running {
  let handled = 0;
  let changed = 0;
  let first = 0;
  let last = 0;
  const partitions = new Set<number>();
  const track = (batch: readonly ConsumedMessage[]) => {
    for (const m of batch) {
      partitions.add(m.partition);
      const at = `${m.partition}:${m.offset}`;
      if (o.tracker) {
        if (o.tracker.seen.has(at)) o.tracker.duplicates++;
        else o.tracker.seen.add(at);
      }
    }
    handled += batch.length;
    last = Date.now();
  };
  const watched = (real: BatchConsumer) =>
    aroundBatches(real, async (batch, handle) => {
      if (first === 0) first = Date.now();
      await handle(batch);
      track(batch);
    });
  const counted = (given: ProcessorPorts): ProcessorPorts => {
    const real = o.ports ? o.ports(given) : given;
    return {
      ...real,
      store: async (changes) => {
        const ids = await real.store(changes);
        changed += ids.length;
        return ids;
      },
    };
  };
  const settings = configWith({
    ...kafkaSettings(o.kafka ?? kafka),
    KAFKA_CLIENT_ID: uniqueName(`${o.client}-consumer`),
    KAFKA_GROUP_ID: o.groupId,
    KAFKA_TOPIC: o.topic,
    KAFKA_DLQ_TOPIC: o.dlq,
    CONSUMER_BATCH_SIZE: o.batchSize ?? 1000,
    CONSUMER_BATCH_WAIT_MS: 20,
    PRODUCE_TIMEOUT_MS: 10_000,
    // A store that hangs is ended and retried after 30 s (three statement timeouts), within the
    // fault tests' waits.
    DB_STATEMENT_TIMEOUT_MS: 10_000,
    KAFKA_GROUP_INSTANCE_ID: o.groupInstanceId,
  });
  // The tests made the topics (a fault test's broker may be down when a consumer restarts).
  const starting = createConsumerRuntime(settings, o.client, {
    log,
    sql: o.sql,
    createTopics: false,
    consumer: watched,
    ports: counted,
    ...(o.dlqPublisher ? { dlq: o.dlqPublisher } : {}),
  });
  let runtime: ConsumerRuntime | undefined;
  starting.then(
    (started) => {
      runtime = started;
    },
    () => {},
  );
  const outcome = starting
    .then((started) => started.stopped)
    .then(
      () => null,
      (err: unknown) => err,
    );
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      await (await starting.catch(() => null))?.close();
      if (!o.mayFail)
        assert.equal(await outcome, null, `the ${o.client} consumer stopped without an error`);
    })();
    return stopped;
  };
  t.after(stop);
  return {
    client: o.client,
    handled: () => handled,
    changed: () => changed,
    partitions,
    firstBatchAt: () => first,
    lastBatchAt: () => last,
    isJoined: () => runtime?.consumer.isJoined() ?? false,
    joins: async () => {
      const metric = runtime?.metrics.getSingleMetric('music_consumer_rebalances_total');
      return metric === undefined ? 0 : ((await metric.get()).values[0]?.value ?? 0);
    },
    outcome,
    stop,
  };
}

/** How many records a topic holds (committed ones: transaction markers take offsets too). */
export function recordCount(topic: string, c: KafkaConnection = kafka): Promise<number> {
  return countRecords(topic, c);
}
