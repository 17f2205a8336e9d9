// Shared helpers of the integration tests: real broker, real database, unique names per test.
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Consumer,
  type Message,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka';
import { copyScratchDatabase, onDatabase } from '../../infra/scratch.ts';
import { createSql, type Sql } from '../../src/adapters/db/client.ts';
import {
  type KafkaConnection,
  kafkaConnectionOf,
  platformaticConnection,
} from '../../src/adapters/kafka/connection.ts';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import type { ConsumedMessage } from '../../src/domain/events.ts';
import { type Config, DATABASE_URL_KEYS, loadConfig } from '../../src/shared/config.ts';
import { createLogger, type Logger } from '../../src/shared/logger.ts';

/**
 * Integration files run side by side, so each gets a database of its own, copied from the run's
 * migrated one, before anything reads the database URLs (the services and CLIs a test starts
 * inherit them). `npm test` names the run's database in MUSIC_TEST_TEMPLATE_DB. The copy keeps
 * the template's grants, so the writer and reader roles work there as on `music`.
 */
async function databaseOfThisFile(): Promise<void> {
  const template = process.env.MUSIC_TEST_TEMPLATE_DB;
  const base = process.env.MUSIC_TEST_BASE_URL;
  if (template === undefined || base === undefined) return;
  const name = `${template}_${randomBytes(3).toString('hex')}`;
  await copyScratchDatabase(base, template, name);
  for (const key of DATABASE_URL_KEYS) {
    const url = process.env[key];
    if (url) process.env[key] = onDatabase(url, name);
  }
}
await databaseOfThisFile();

/** The configuration `npm test` prepared: a database and names of this run. */
export const config: Config = loadConfig();

/** The role a database URL logs in as. */
export const userOf = (url: string): string => decodeURIComponent(new URL(url).username);

/** Whether this run uses the separate roles (the local stack's, or an operator's three URLs). */
export const rolesSplit: boolean =
  userOf(config.DATABASE_WRITE_URL) !== userOf(config.DATABASE_MIGRATE_URL);

/** How the tests' own clients reach the run's broker. */
export const kafka: KafkaConnection = kafkaConnectionOf(config);

/** The settings that point a runtime at another broker (a fault test's private one). */
export function kafkaSettings(c: KafkaConnection): Partial<Config> {
  return {
    KAFKA_BROKERS: c.brokers,
    KAFKA_SASL_MECHANISM: c.sasl?.mechanism,
    KAFKA_SASL_USERNAME: c.sasl?.username,
    KAFKA_SASL_PASSWORD: c.sasl?.password,
    KAFKA_SSL: c.ssl !== null,
    KAFKA_SSL_CA_FILE: c.ssl?.caFile ?? undefined,
  };
}

export const log: Logger = createLogger('test', process.env.LOG_LEVEL ?? 'silent');

/**
 * The tests' throwaway readers retry joining their group as the consumers do: a broker just
 * started answers COORDINATOR_LOAD_IN_PROGRESS for a while, longer than the library's 3 tries
 * (a reader failed so, 18 s after a restart on a loaded machine).
 */
export const READER_RETRIES = { retries: 30, retryDelay: 1_000 } as const;

/**
 * The configuration a test hands to a runtime (src/apps/<name>/runtime.ts): the run's, with the
 * servers on loopback ports the system picks, no rate limit (tests send faster than people), and
 * the test's own settings (topics, group, brokers, timeouts) on top.
 */
export function configWith(settings: Partial<Config>): Config {
  return {
    ...config,
    REST_HOST: '127.0.0.1',
    REST_PORT: 0,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: 0,
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: 0,
    RATE_LIMIT_MAX: 0,
    ...settings,
  };
}

/** A name no other test or run uses, under the run's prefix (cleaned up by the runner). */
export function uniqueName(label: string): string {
  return `${process.env.MUSIC_TEST_RUN ?? 'test-adhoc'}-${label}-${randomBytes(3).toString('hex')}`;
}

/** A topic and its DLQ, created for one test. */
export async function freshTopics(
  label: string,
  partitions = 6,
): Promise<{ topic: string; dlq: string }> {
  const topic = uniqueName(label);
  const dlq = `${topic}.dlq`;
  await ensureTopics(kafka, [
    { name: topic, partitions },
    { name: dlq, partitions },
  ]);
  return { topic, dlq };
}

/** `count` consecutive album ids that no other test uses. */
export function idBlock(count: number): number[] {
  const first = randomInt(1_000_000, 2_000_000_000 - count);
  return Array.from({ length: count }, (_, i) => first + i);
}

export function testSql(max = 4): Sql {
  return createSql({ url: config.DATABASE_URL, max, applicationName: 'music-test' });
}

/** Polls until `check` returns a value other than undefined, or fails after the timeout. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export interface RawRecord {
  readonly key?: string | undefined;
  /** null is a tombstone: a record without a value. */
  readonly value: Uint8Array | null;
  readonly headers?: Record<string, string>;
  readonly timestamp?: bigint;
}

/** Produces records as any other client would (optionally keyless or with set timestamps). */
export async function produceRaw(topic: string, records: readonly RawRecord[]): Promise<void> {
  const producer = new Producer({
    clientId: 'music-test-producer',
    ...platformaticConnection(kafka),
    acks: ProduceAcks.ALL,
  });
  try {
    for (let i = 0; i < records.length; i += 1000) {
      await producer.send({
        messages: records.slice(i, i + 1000).map((r) => ({
          topic,
          key: r.key === undefined ? undefined : Buffer.from(r.key),
          value: r.value === null ? undefined : Buffer.from(r.value),
          headers: r.headers
            ? new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
            : undefined,
          timestamp: r.timestamp,
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** A record as @platformatic/kafka delivers it, keys and values as raw bytes. */
export type DeliveredRecord = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * Reads the first `count` records of a topic from the beginning, in a throwaway group, each
 * turned into what the caller wants by `map`; fewer when `timeoutMs` passes first.
 */
export async function readFromStart<T>(
  topic: string,
  count: number,
  map: (m: DeliveredRecord) => T,
  timeoutMs = 30_000,
): Promise<T[]> {
  const consumer = new Consumer({
    clientId: 'music-test-reader',
    groupId: uniqueName('reader'),
    ...platformaticConnection(kafka),
    ...READER_RETRIES,
  });
  const out: T[] = [];
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const timer = setTimeout(() => void stream.close(), timeoutMs);
    try {
      for await (const m of stream) {
        out.push(map(m));
        if (out.length >= count) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return out;
}

/** Reads the first `count` records of a topic from the beginning, in a throwaway group. */
export function readTopic(
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedMessage[]> {
  return readFromStart(
    topic,
    count,
    (m): ConsumedMessage => ({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key && m.key.length > 0 ? m.key : null,
      value: m.value ?? null,
      headers: new Map([...m.headers].map(([k, v]) => [k.toString(), v.toString()])),
    }),
    timeoutMs,
  );
}
