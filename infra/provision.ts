import { join, resolve } from 'node:path';
import { createSql } from '../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../src/adapters/db/migrate.ts';
import { type KafkaConnection, kafkaConnectionOf } from '../src/adapters/kafka/connection.ts';
import { albumTopics, ensureTopics } from '../src/adapters/kafka/topics.ts';
import { type Config, redactUrl } from '../src/shared/config.ts';
import { firstServerUrl, withHosts } from '../src/shared/database-url.ts';
import { ensureKafkaJars, kafkaAnswers, startLocalKafka } from './kafka.ts';
import {
  ensureServiceAcls,
  type KafkaRole,
  localKafkaConnection,
  readKafkaPasswords,
  writeClientProperties,
} from './kafka-auth.ts';
import {
  type LocalKafkaClusterOptions,
  localKafkaClusterRunning,
  startLocalKafkaCluster,
} from './kafka-cluster.ts';
import { adminUrl, hasLocalCluster, postgresAnswers, startLocalPostgres } from './postgres.ts';
import {
  ensureRolesAs,
  ensureRolesOnSystemCluster,
  GRANTS_MIGRATION,
  grantRuntimeRoles,
  localPasswords,
  localRoles,
  type RoleSpec,
  urlRole,
} from './postgres-roles.ts';
import { releaseAbsentStandby } from './postgres-standby.ts';

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

/**
 * Makes PostgreSQL answer at the database URLs with the migrations applied; starts it if needed.
 * Without DATABASE_URL in `env` (the local stack), the owner, writer and reader roles are made or
 * brought to their generated passwords (ensureLocalPasswords wrote them) whenever one of them
 * is refused: a checkout from before the roles is upgraded in place.
 */
export async function ensurePostgres(
  config: Config,
  report: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  // The primary alone: with PG_STANDBY the URLs name the standby too, which comes afterwards.
  const url = firstServerUrl(config.DATABASE_MIGRATE_URL);
  const onPrimary = (u: string) => withHosts(u, [url.host]);
  const migrateUrl = url.href;
  const port = Number(url.port || 5432);
  const local = LOOPBACK.has(url.hostname);
  const localRolesMode = !env.DATABASE_URL;
  const dir = dataDir(config);
  let started = false;
  if ((await postgresAnswers(migrateUrl)) === 'down') {
    if (!local) throw new Error(`nothing answers at ${redactUrl(migrateUrl)}`);
    await startLocalPostgres({ dataDir: dir, port, report });
    started = true;
  } else {
    report(`postgres: reusing the server at ${url.host}`);
  }
  const urls = localRolesMode
    ? [
        ...new Set([
          migrateUrl,
          ...[config.DATABASE_WRITE_URL, config.DATABASE_READ_URL].map(onPrimary),
        ]),
      ]
    : [migrateUrl];
  const refused = await firstRefused(urls);
  const madeRoles = refused !== undefined && localRolesMode;
  if (refused !== undefined) {
    // A local server answers but lacks our roles or database (or has their old passwords):
    // make them as its superuser, through our private cluster's admin password or, for
    // Debian's system cluster, as root.
    const roles: RoleSpec[] = localRolesMode
      ? localRoles(localPasswords(dir))
      : [urlRole(migrateUrl)];
    const database = url.pathname.slice(1);
    if (local && hasLocalCluster(dir)) {
      await ensureRolesAs(adminUrl(dir, port), roles, database);
    } else if (!(local && (await ensureRolesOnSystemCluster(String(port), roles, database)))) {
      throw new Error(
        `PostgreSQL at ${url.host} refused ${redactUrl(refused.url)} (${refused.why}): create that role and database, or set DATABASE_URL`,
      );
    }
    report(`postgres: roles ${roles.map((r) => r.name).join(', ')} and database ${database} ready`);
  }
  if (!config.PG_STANDBY && local && hasLocalCluster(dir))
    await releaseAbsentStandby(adminUrl(dir, port), report).catch((err: unknown) => {
      report(`postgres: could not look for a standby left behind (${(err as Error).message})`);
    });
  const sql = createSql({ url: migrateUrl, max: 1, applicationName: 'music-migrate' });
  try {
    const applied = await migrate(sql, await readMigrations());
    if (madeRoles && !applied.includes(GRANTS_MIGRATION)) await grantRuntimeRoles(sql);
    report(`postgres: schema ready${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);
  } finally {
    await sql.end({ timeout: 2 });
  }
  return started;
}

/** The first URL PostgreSQL does not let in, and why. */
async function firstRefused(
  urls: readonly string[],
): Promise<{ url: string; why: string } | undefined> {
  for (const url of urls) {
    const state = await postgresAnswers(url);
    if (state !== 'ok') return { url, why: state === 'down' ? 'down' : state.refused };
  }
  return undefined;
}

/** Host and port of each KAFKA_BROKERS entry, when every one is on this machine. */
function loopbackBrokers(config: Config): { host: string; port: number }[] | null {
  const brokers = config.KAFKA_BROKERS.map((b) => {
    const [host = '', port = ''] = b.split(/:(?=\d+$)/);
    return { host, port: Number(port) };
  });
  return brokers.every((b) => LOOPBACK.has(b.host)) ? brokers : null;
}

/**
 * The local cluster KAFKA_NODES=3 asks for, on KAFKA_BROKERS' loopback ports, in the data dir's
 * kafka-cluster folder; null for a single node.
 */
export function localKafkaCluster(
  config: Config,
  report: (line: string) => void,
): LocalKafkaClusterOptions | null {
  if (config.KAFKA_NODES === 1) return null;
  const brokers = loopbackBrokers(config);
  const [first] = brokers ?? [];
  if (brokers === null || first === undefined || brokers.length !== config.KAFKA_NODES)
    throw new Error(
      `KAFKA_NODES=${config.KAFKA_NODES} runs a local cluster: KAFKA_BROKERS must name ${config.KAFKA_NODES} loopback addresses (got ${config.KAFKA_BROKERS.join(',')})`,
    );
  return {
    projectRoot: PROJECT_ROOT,
    dataDir: join(dataDir(config), 'kafka-cluster'),
    jarsDir: dataDir(config),
    host: first.host,
    ports: brokers.map((b) => b.port),
    report,
  };
}

/**
 * How each role reaches Kafka: as configured when the configuration names credentials or TLS (an
 * operator's cluster); else, for the local broker, as the principals it was formatted with
 * (read when asked: the first start creates them), or plaintext for a broker without them.
 */
export function kafkaAccess(config: Config): (role: KafkaRole) => KafkaConnection {
  const configured = kafkaConnectionOf(config);
  if (configured.sasl !== null || configured.ssl !== null) return () => configured;
  const cluster = localKafkaCluster(config, () => {});
  if (cluster !== null)
    return (role) =>
      localKafkaConnection(config.KAFKA_BROKERS, readKafkaPasswords(cluster.dataDir), role);
  const [only, ...more] = config.KAFKA_BROKERS;
  const host = only?.split(/:(?=\d+$)/)[0] ?? '';
  if (more.length > 0 || !LOOPBACK.has(host)) return () => configured;
  return (role) =>
    localKafkaConnection(config.KAFKA_BROKERS, readKafkaPasswords(dataDir(config)), role);
}

/**
 * Makes a broker answer at KAFKA_BROKERS with the topics (and, on a local broker with
 * principals, the services' ACLs) created; starts one if needed.
 */
export async function ensureKafka(
  config: Config,
  report: (line: string) => void,
): Promise<boolean> {
  let started = false;
  const access = kafkaAccess(config);
  const cluster = localKafkaCluster(config, report);
  if (cluster !== null) {
    // Its own nodes or none: a single broker answering on one of its ports is not the cluster.
    if (await localKafkaClusterRunning(cluster))
      report(`kafka: reusing the local cluster at ${config.KAFKA_BROKERS.join(',')}`);
    else {
      await startLocalKafkaCluster(cluster);
      started = true;
    }
  } else if (await kafkaAnswers(access('admin'), 3000)) {
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
  const admin = access('admin');
  await ensureTopics(admin, albumTopics(config));
  report(`kafka: topics ${config.KAFKA_TOPIC} and ${config.KAFKA_DLQ_TOPIC} ready`);
  if (admin.sasl !== null && kafkaConnectionOf(config).sasl === null) {
    await ensureServiceAcls(admin, {
      topic: config.KAFKA_TOPIC,
      dlqTopic: config.KAFKA_DLQ_TOPIC,
      groupId: config.KAFKA_GROUP_ID,
      transactionalIdPrefix: `${config.KAFKA_CLIENT_ID}-rest`,
    });
    // A cluster's tools get every node's address, in the cluster's folder.
    const toolsDir = cluster === null ? dataDir(config) : cluster.dataDir;
    if (cluster !== null) await writeClientProperties(toolsDir, admin);
    report(`kafka: SCRAM principals and ACLs ready (tools: ${toolsDir}/kafka/client.properties)`);
  }
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
