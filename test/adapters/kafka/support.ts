// Helpers of the Kafka write-path tests: topics made as the services make them (the album topic
// stamped by the broker), the REST runtime on them, and album fixtures placed on partitions.
import type { TestContext } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { javaPartition } from '../../../src/adapters/kafka/partitioner.ts';
import { albumTopics, ensureTopics } from '../../../src/adapters/kafka/topics.ts';
import type { RestApp } from '../../../src/apps/rest/app.ts';
import { createRestRuntime, type RestOverrides } from '../../../src/apps/rest/runtime.ts';
import { cleanupStack, type Defer } from '../../support/cleanup.ts';
import { configWith, idBlock, kafka, log, testSql, uniqueName } from '../../support/stack.ts';

export const PARTITIONS = 6;

/** A topic and its DLQ created by ensureTopics from albumTopics, as every service creates them. */
export async function serviceTopics(label: string): Promise<{ topic: string; dlq: string }> {
  const topic = uniqueName(label);
  const dlq = `${topic}.dlq`;
  await ensureTopics(
    kafka,
    albumTopics({ KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq, KAFKA_PARTITIONS: PARTITIONS }),
  );
  return { topic, dlq };
}

export interface RestStack {
  readonly app: RestApp;
  readonly sql: Sql;
  readonly defer: Defer;
}

/** The REST runtime on the test's topics (what src/apps/rest/main.ts starts), and a database client. */
export async function startRest(
  t: TestContext,
  label: string,
  topics: { topic: string; dlq: string },
  overrides: RestOverrides = {},
): Promise<RestStack> {
  const defer = cleanupStack(t);
  const sql = testSql();
  defer(() => sql.end({ timeout: 5 }));
  const settings = configWith({
    KAFKA_TOPIC: topics.topic,
    KAFKA_DLQ_TOPIC: topics.dlq,
    KAFKA_CLIENT_ID: uniqueName(label),
    PRODUCE_TIMEOUT_MS: 10_000,
  });
  const rest = await createRestRuntime(settings, { log, createTopics: false, ...overrides });
  defer(() => rest.close());
  return { app: rest.app, sql, defer };
}

/** `count` unused ids whose keys Java's partitioner puts on `partition`. */
export function idsOnPartition(partition: number, count: number): number[] {
  const ids = idBlock(Math.max(200, count * PARTITIONS * 3)).filter(
    (id) => javaPartition(Buffer.from(String(id)), PARTITIONS) === partition,
  );
  if (ids.length < count) throw new Error(`only ${ids.length} ids on partition ${partition}`);
  return ids.slice(0, count);
}

/** One unused id on each partition. */
export const oneIdPerPartition = (): number[] =>
  Array.from({ length: PARTITIONS }, (_, p) => idsOnPartition(p, 1)[0] as number);

export const jsonRequest = (body: unknown, requestId?: string) => ({
  headers: {
    'content-type': 'application/json',
    ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
  },
  payload: JSON.stringify(body),
});

/** How many of `ids` have a row. */
export async function storedOf(sql: Sql, ids: readonly number[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from music.albums where id = any(${[...ids]}::int4[])`;
  return row?.n ?? 0;
}
