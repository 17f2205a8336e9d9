import { performance } from 'node:perf_hooks';
import type { Sql } from '../../src/adapters/db/client.ts';
import type { KafkaConnection } from '../../src/adapters/kafka/connection.ts';
import { createPublisher } from '../../src/adapters/kafka/publisher.ts';
import { albumMessage } from '../albums.ts';
import { type ServerCpu, serverCpuBetween } from '../machine.ts';
import { perSecond } from '../percentiles.ts';
import { type BenchScope, consumerSpec, type Started, startServices } from '../stack.ts';
import type { StoredWatcher } from '../visibility.ts';

/** Ids of the backlog: far above those the REST API allocates from music.album_id_seq. */
export const BACKLOG_FIRST_ID = 1_000_000_000;

const CHUNK = 5000;
const CHUNKS_IN_FLIGHT = 4;

/** Publishes `count` albums as the REST API would, with our own producer; returns msgs/s. */
export async function produceBacklog(
  kafka: KafkaConnection,
  topic: string,
  count: number,
): Promise<number> {
  const publisher = createPublisher({
    kafka,
    clientId: 'music-bench-backlog',
    timeoutMs: 30_000,
  });
  const started = performance.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const first = next;
        next = Math.min(count, next + CHUNK);
        const messages = [];
        for (let i = first; i < next; i++) messages.push(albumMessage(BACKLOG_FIRST_ID + i));
        await publisher.publish(topic, messages);
      }
    };
    await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, worker));
  } finally {
    await publisher.close();
  }
  return perSecond(count, performance.now() - started);
}

export interface ConsumerAlone {
  readonly albumsPerSecond: number;
  readonly albums: number;
  readonly seconds: number;
  /**
   * CPU milliseconds from the first stored batch to the last, of the consumer and of the servers
   * (sampled before the consumer stops: its database backends end with it).
   */
  readonly cpuMs: Readonly<Record<string, number>>;
  /** Albums counted, the same window as the CPU. */
  readonly units: number;
}

/**
 * One consumer process on `client`, alone in a fresh group, drains the backlog into
 * PostgreSQL. The rate runs from its first stored batch to its last, so process start-up and
 * the group join are not counted; the albums of that first batch are not counted either.
 * Afterwards the table is emptied so that the next client inserts the same rows.
 */
export async function measureConsumerAlone(o: {
  readonly client: 'platformatic' | 'confluent';
  readonly scope: BenchScope;
  readonly sql: Sql;
  readonly watcher: StoredWatcher;
  readonly count: number;
  /** CPU milliseconds so far of the broker and PostgreSQL, per process. */
  readonly serverCpu: () => ServerCpu;
}): Promise<ConsumerAlone> {
  const spec = consumerSpec(o.client);
  const name = `${spec.name}-alone`;
  let services: Started | undefined;
  let atFirst: { consumer: number; servers: ServerCpu } | undefined;
  const sample = () => ({ consumer: services?.cpuMs()[name] ?? 0, servers: o.serverCpu() });
  o.watcher.reset(() => {
    atFirst ??= sample();
  });
  services = await startServices(o.scope, [{ ...spec, name }], {
    KAFKA_TOPIC: o.scope.backlogTopic,
    KAFKA_DLQ_TOPIC: `${o.scope.backlogTopic}.dlq`,
    KAFKA_GROUP_ID: `${o.scope.prefix}-alone-${o.client}`,
  });
  let cpuMs: Record<string, number> = {};
  let albums = 0;
  let ms = 0;
  try {
    // Generous: a tenth of the slowest rate worth measuring, plus start-up.
    await o.watcher.waitFor(o.count, 60_000 + o.count);
    const atLast = sample();
    cpuMs = {
      [name]: atLast.consumer - (atFirst?.consumer ?? 0),
      ...serverCpuBetween(atFirst?.servers ?? {}, atLast.servers),
    };
    albums = o.count - o.watcher.firstCount();
    ms = o.watcher.lastAt() - o.watcher.firstAt();
  } finally {
    o.watcher.reset();
    await services.stop();
  }
  const [row] = await o.sql<{ n: number }[]>`
    select count(*)::int as n from music.albums where id >= ${BACKLOG_FIRST_ID}`;
  if (row?.n !== o.count)
    throw new Error(`${o.client} stored ${row?.n ?? 0} rows of a backlog of ${o.count}`);
  await o.sql`truncate music.albums`;
  return {
    albumsPerSecond: perSecond(albums, ms),
    albums,
    seconds: ms / 1000,
    cpuMs,
    units: albums,
  };
}
