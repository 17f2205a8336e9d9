// A private Kafka broker or PostgreSQL cluster for one test, on ports and in folders of its own,
// started and stopped with the project's own provisioning code (infra/): fault tests stop these,
// never the shared servers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  kafkaLibsDir,
  localKafkaAdmin,
  startLocalKafka,
  stopLocalKafka,
} from '../../infra/kafka.ts';
import {
  clusterPaths,
  removeLocalPostgres,
  startLocalPostgres,
  stopLocalPostgres,
} from '../../infra/postgres.ts';
import { ensureRolesAs, urlRole } from '../../infra/postgres-roles.ts';
import { startStandby } from '../../infra/postgres-standby.ts';
import { reservedPort } from '../../infra/reserved-ports.ts';
import { createSql } from '../../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../../src/adapters/db/migrate.ts';
import type { KafkaConnection } from '../../src/adapters/kafka/connection.ts';
import type { Defer } from './cleanup.ts';
import { config, uniqueName } from './stack.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** A server that a test may stop and start again. */
export interface PrivateServer {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateKafka extends PrivateServer {
  /** As the broker's admin (a super user). */
  readonly connection: KafkaConnection;
  readonly dataDir: string;
  readonly port: number;
}

/**
 * A single-node broker on free ports (its controller listens on port + 1), reusing the shared
 * broker's jars so that nothing is downloaded. Stopped and removed at cleanup, after the clients
 * deferred later.
 */
export async function privateKafka(defer: Defer, label: string): Promise<PrivateKafka> {
  const port = await reservedPort(2);
  const dataDir = join(ROOT, '.data', `test-kafka-${uniqueName(label)}`);
  const lines: string[] = [];
  const o = {
    projectRoot: ROOT,
    dataDir,
    host: '127.0.0.1',
    port,
    report: (l: string) => void lines.push(l),
  };
  const libs = kafkaLibsDir(resolve(ROOT, config.MUSIC_DATA_DIR));
  assert.ok(existsSync(join(libs, '.pom.sha256')), `Kafka jars resolved in ${libs}`);
  await mkdir(join(dataDir, 'kafka'), { recursive: true });
  await symlink(libs, kafkaLibsDir(dataDir));
  // Registered before the start, so that a start that fails half-way is cleaned up too.
  defer(async () => {
    await stopLocalKafka(o);
    await rm(dataDir, { recursive: true, force: true });
  });
  const server: PrivateServer = {
    start: async () => void (await startLocalKafka(o)),
    stop: () => stopLocalKafka(o),
  };
  await server.start();
  // As its admin: the first start created the broker's principals.
  return { ...server, port, dataDir, connection: localKafkaAdmin(dataDir, `127.0.0.1:${port}`) };
}

/** Stops (if it runs) and removes a private cluster at cleanup, wherever its files live. */
export function removedAtCleanup(defer: Defer, dataDir: string): void {
  defer(async () => {
    try {
      stopLocalPostgres(dataDir);
    } catch {
      // Not running (a test that failed while it was stopped, or killed it).
    }
    // As root, the cluster may live outside the data dir (infra/postgres-location.ts).
    removeLocalPostgres(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
}

export interface PrivatePostgres extends PrivateServer {
  /** The superuser's URL, as provisioning uses it. */
  readonly adminUrl: string;
  /** The application's URL: its own role (no superuser) and database, migrated. */
  readonly appUrl: string;
  readonly role: string;
  readonly password: string;
  readonly dataDir: string;
  readonly port: number;
}

/**
 * A PostgreSQL cluster created by infra/postgres.ts (initdb, as the `postgres` user when run as
 * root) on a free port, with the application's role and database provisioned as `npm start`
 * does and the migrations applied. Stopped and removed at cleanup, wherever its files live.
 */
export async function privatePostgres(defer: Defer, label: string): Promise<PrivatePostgres> {
  const port = await reservedPort();
  const dataDir = join(ROOT, '.data', `test-pg-${uniqueName(label)}`);
  const report = () => {};
  removedAtCleanup(defer, dataDir);
  const adminUrl = await startLocalPostgres({ dataDir, port, report });
  const role = 'music';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const appUrl = `postgres://${role}:${password}@127.0.0.1:${port}/music`;
  await ensureRolesAs(adminUrl, [urlRole(appUrl)]);
  const sql = createSql({ url: appUrl, max: 1, applicationName: 'music-test-migrate' });
  try {
    await migrate(sql, await readMigrations());
  } finally {
    await sql.end({ timeout: 5 });
  }
  return {
    adminUrl,
    appUrl,
    role,
    password,
    dataDir,
    port,
    start: async () => void (await startLocalPostgres({ dataDir, port, report })),
    stop: async () => stopLocalPostgres(dataDir),
  };
}

export interface PrivateStandby extends PrivateServer {
  /** The superuser's URL (the primary's password: the standby is its copy). */
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly port: number;
}

/**
 * A streaming standby of a private primary (infra/postgres-standby.ts: pg_basebackup, synchronous
 * commits) on a free port. Stopped and removed at cleanup.
 */
export async function privateStandby(
  defer: Defer,
  primary: PrivatePostgres,
): Promise<PrivateStandby> {
  const port = await reservedPort();
  const dataDir = join(primary.dataDir, 'standby');
  const report = () => {};
  removedAtCleanup(defer, dataDir);
  const o = { primaryDataDir: primary.dataDir, primaryPort: primary.port, dataDir, port, report };
  const adminUrl = await startStandby(o);
  return {
    adminUrl,
    dataDir,
    port,
    start: async () => void (await startLocalPostgres({ dataDir, port, report })),
    stop: async () => stopLocalPostgres(dataDir),
  };
}

/**
 * Kills a private cluster as a crash of its machine would: SIGKILL to its postmaster and to
 * every process of it at once (a postmaster killed alone leaves its backends serving a while).
 */
export function crashPostgres(dataDir: string): void {
  const pidFile = join(clusterPaths(dataDir).cluster, 'postmaster.pid');
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .map((l) => Number(l.trim()))
    .filter((pid) => pid > 0);
  for (const pid of [postmaster, ...children]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
