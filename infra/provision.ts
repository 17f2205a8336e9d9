import { resolve } from 'node:path';
import { createSql } from '../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../src/adapters/db/migrate.ts';
import { kafkaConnectionOf } from '../src/adapters/kafka/connection.ts';
import { albumTopics, ensureTopics } from '../src/adapters/kafka/topics.ts';
import { type Config, redactUrl } from '../src/shared/config.ts';
import { ensureKafkaJars, kafkaAnswers, startLocalKafka } from './kafka.ts';
import {
  adminUrl,
  ensureRoleAndDatabase,
  ensureRoleOnSystemCluster,
  hasLocalCluster,
  postgresAnswers,
  startLocalPostgres,
} from './postgres.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** What this run started itself, so that it stops only that. */
export interface Provisioned {
  readonly kafka: boolean;
  readonly postgres: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function dataDir(config: Config): string {
  return resolve(PROJECT_ROOT, config.MUSIC_DATA_DIR);
}

/** Makes PostgreSQL answer at DATABASE_URL with the migrations applied; starts it if needed. */
export async function ensurePostgres(
  config: Config,
  report: (line: string) => void,
): Promise<boolean> {
  const url = new URL(config.DATABASE_URL);
  const port = Number(url.port || 5432);
  const local = LOOPBACK.has(url.hostname);
  const dir = dataDir(config);
  let started = false;
  let state = await postgresAnswers(config.DATABASE_URL);
  if (state === 'down') {
    if (!local)
      throw new Error(`nothing answers at DATABASE_URL ${redactUrl(config.DATABASE_URL)}`);
    await startLocalPostgres({ dataDir: dir, port, report });
    started = true;
    state = await postgresAnswers(config.DATABASE_URL);
  } else {
    report(`postgres: reusing the server at ${url.host}`);
  }
  if (state !== 'ok') {
    // A local server answers but lacks our role or database: create them as its superuser,
    // through our private cluster's admin password or, for Debian's system cluster, as root.
    if (local && hasLocalCluster(dir)) {
      await ensureRoleAndDatabase(adminUrl(dir, port), config.DATABASE_URL);
    } else if (!(local && ensureRoleOnSystemCluster(config.DATABASE_URL))) {
      throw new Error(
        `PostgreSQL at ${url.host} refused ${redactUrl(config.DATABASE_URL)} (${state === 'down' ? 'down' : state.refused}): create that role and database, or set DATABASE_URL`,
      );
    }
    report(`postgres: created role and database for ${redactUrl(config.DATABASE_URL)}`);
  }
  const sql = createSql({ url: config.DATABASE_URL, max: 1, applicationName: 'music-migrate' });
  try {
    const applied = await migrate(sql, await readMigrations());
    report(`postgres: schema ready${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);
  } finally {
    await sql.end({ timeout: 2 });
  }
  return started;
}

/** Makes a broker answer at KAFKA_BROKERS with the topics created; starts one if needed. */
export async function ensureKafka(
  config: Config,
  report: (line: string) => void,
): Promise<boolean> {
  let started = false;
  if (await kafkaAnswers(kafkaConnectionOf(config), 3000)) {
    report(`kafka: reusing the broker at ${config.KAFKA_BROKERS.join(',')}`);
  } else {
    const [first, ...rest] = config.KAFKA_BROKERS;
    const [host = '', portText = ''] = first?.split(/:(?=\d+$)/) ?? [];
    if (rest.length > 0 || !LOOPBACK.has(host)) {
      throw new Error(`no Kafka broker answers at KAFKA_BROKERS ${config.KAFKA_BROKERS.join(',')}`);
    }
    const options = {
      projectRoot: PROJECT_ROOT,
      dataDir: dataDir(config),
      host,
      port: Number(portText),
      report,
    };
    await ensureKafkaJars(options);
    await startLocalKafka(options);
    started = true;
  }
  await ensureTopics(kafkaConnectionOf(config), albumTopics(config));
  report(`kafka: topics ${config.KAFKA_TOPIC} and ${config.KAFKA_DLQ_TOPIC} ready`);
  return started;
}

/** Both backing services, side by side: the JVM's start-up overlaps PostgreSQL's. */
export async function ensureInfrastructure(
  config: Config,
  report: (line: string) => void,
): Promise<Provisioned> {
  const [postgres, kafka] = await Promise.all([
    ensurePostgres(config, report),
    ensureKafka(config, report),
  ]);
  return { postgres, kafka };
}
