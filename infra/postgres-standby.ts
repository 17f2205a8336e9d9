// A streaming-replication standby of the private cluster (PG_STANDBY=1): a copy made with
// pg_basebackup, on a port of its own, that replays the primary's WAL and answers reads; promoted
// (pg_ctl promote, or `music db promote`) when the primary is lost. Its files live like the
// primary's (infra/postgres-location.ts): in a data dir of its own, or relocated as root when the
// `postgres` user cannot enter it.
import { appendFileSync, chownSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import type { Config } from '../src/shared/config.ts';
import { editDatabaseUrl, firstServerUrl } from '../src/shared/database-url.ts';
import { LOCAL_DATABASE, localDataDir } from '../src/shared/local-database.ts';
import {
  adminUrl,
  asOwner,
  clusterPaths,
  hasLocalCluster,
  postgresAnswers,
  runAsOwner,
  serverBinDir,
  startLocalPostgres,
} from './postgres.ts';
import { prepareRelocatedHome } from './postgres-location.ts';

/** The name the standby gives itself to the primary, which waits for it at each commit. */
export const STANDBY_NAME = 'music_standby';

export interface StandbyOptions {
  /** The primary's data dir and port (its cluster is the private one of infra/postgres.ts). */
  readonly primaryDataDir: string;
  readonly primaryPort: number;
  /** The standby's own data dir and port. */
  readonly dataDir: string;
  readonly port: number;
  readonly report: (line: string) => void;
}

/** The standby's data dir beside the primary's: `<data dir>/standby`. */
export const standbyDataDir = (primaryDataDir: string) => join(primaryDataDir, 'standby');

/**
 * Starts the standby, copying the primary first when there is no standby yet, and makes the
 * primary's commits wait until the standby has them on disk (synchronous_standby_names): a commit
 * the consumers saw, and so the Kafka offset they committed after it, survives the primary's loss.
 * Returns the standby's superuser URL (the primary's password: it is a copy).
 */
export async function startStandby(o: StandbyOptions): Promise<string> {
  const paths = clusterPaths(o.dataDir);
  const primary = adminUrl(o.primaryDataDir, o.primaryPort);
  if (!existsSync(join(paths.cluster, 'PG_VERSION'))) await copyPrimary(o, primary);
  const url = await startLocalPostgres({ dataDir: o.dataDir, port: o.port, report: o.report });
  await requireStandby(primary, o.primaryPort);
  return url;
}

async function copyPrimary(o: StandbyOptions, primary: string): Promise<void> {
  const owner = asOwner();
  const paths = clusterPaths(o.dataDir);
  mkdirSync(o.dataDir, { recursive: true });
  if (paths.relocated) prepareRelocatedHome(o.dataDir);
  mkdirSync(dirname(paths.log), { recursive: true });
  // Empty, the owner's and private, as pg_basebackup wants the folder it fills.
  mkdirSync(paths.cluster, { recursive: true, mode: 0o700 });
  if (owner.user !== null) chownSync(paths.cluster, owner.uid, owner.gid);
  o.report(`postgres: copying the primary into a standby in ${paths.cluster}`);
  const password = decodeURIComponent(new URL(primary).password);
  const conninfo = `host=127.0.0.1 port=${o.primaryPort} user=postgres application_name=${STANDBY_NAME}`;
  // The password travels in the environment, never on a command line others can read.
  runAsOwner(
    join(serverBinDir(), 'pg_basebackup'),
    ['-d', conninfo, '-D', paths.cluster, '-X', 'stream', '-c', 'fast', '--no-password'],
    owner.user,
    { PGPASSWORD: password },
  );
  // pg_basebackup copied the primary's settings; the standby adds how it follows the primary
  // (the last setting of a file wins). Its own synchronous_standby_names stays empty: once
  // promoted it has no standby to wait for.
  const conf = join(paths.cluster, 'postgresql.auto.conf');
  appendFileSync(
    conf,
    [
      `primary_conninfo = '${conninfo} password=${password.replaceAll("'", "''")}'`,
      "synchronous_standby_names = ''",
      // Long reads on the standby are not cancelled by the primary's vacuum.
      'hot_standby_feedback = on',
      '',
    ].join('\n'),
  );
  const signal = join(paths.cluster, 'standby.signal');
  appendFileSync(signal, '');
  copyFileSync(clusterPaths(o.primaryDataDir).adminPassword, paths.adminPassword);
  if (owner.user !== null) for (const f of [conf, signal]) chownSync(f, owner.uid, owner.gid);
}

/**
 * Makes the primary wait for the standby at each commit (a reload, no restart) and waits until
 * the standby streams. Before this, commits were the primary's alone.
 */
async function requireStandby(primaryUrl: string, primaryPort: number): Promise<void> {
  const sql = postgres(primaryUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`alter system set synchronous_standby_names = '${STANDBY_NAME}'`);
    await sql`select pg_reload_conf()`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = await sql<{ sync_state: string }[]>`
        select sync_state from pg_stat_replication where application_name = ${STANDBY_NAME}`;
      if (row?.sync_state === 'sync') return;
      if (Date.now() > deadline)
        throw new Error(`the standby does not stream from the primary on port ${primaryPort}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Promotes a standby (pg_ctl promote, waiting until it takes writes). */
export function promoteLocalStandby(dataDir: string): void {
  runAsOwner(
    join(serverBinDir(), 'pg_ctl'),
    ['promote', '-D', clusterPaths(dataDir).cluster, '-w', '-t', '60'],
    asOwner().user,
  );
}

/** Where `npm start`'s standby is, with PG_STANDBY=1; null without. */
export function localStandby(config: Config): { dataDir: string; port: number } | null {
  if (!config.PG_STANDBY) return null;
  return {
    dataDir: standbyDataDir(localDataDir(config.MUSIC_DATA_DIR)),
    port: config.PG_STANDBY_PORT,
  };
}

/**
 * Refuses to start the old primary once its standby was promoted: two servers taking writes
 * would each hold albums the other lacks. The old primary's cluster must become a standby again
 * (docs/reliability.md says how); until then nothing starts.
 */
export function refuseOldPrimary(config: Config): void {
  const standby = localStandby(config);
  if (standby === null) return;
  const { cluster } = clusterPaths(standby.dataDir);
  if (existsSync(join(cluster, 'PG_VERSION')) && !existsSync(join(cluster, 'standby.signal')))
    throw new Error(
      `the standby in ${cluster} was promoted: it is the primary now, and starting the old one beside it would make two. Rebuild the old primary as a standby or remove it (docs/reliability.md, "Failing over")`,
    );
}

/**
 * PG_STANDBY=1: the standby of npm start's private cluster, started (made first when missing)
 * unless it runs; the owner may promote it (`music db promote`). True when this run started it.
 */
export async function ensureLocalStandby(
  config: Config,
  report: (line: string) => void,
): Promise<boolean> {
  const standby = localStandby(config);
  if (standby === null) return false;
  const dir = localDataDir(config.MUSIC_DATA_DIR);
  const primaryPort = firstServerUrl(config.DATABASE_MIGRATE_URL).port;
  if (!hasLocalCluster(dir))
    throw new Error(
      'PG_STANDBY=1 makes a standby of the private cluster npm start runs, and there is none here (another server answers on its port)',
    );
  const primary = adminUrl(dir, Number(primaryPort || 5432));
  await grantPromote(
    primary,
    decodeURIComponent(firstServerUrl(config.DATABASE_MIGRATE_URL).username),
  );
  if (existsSync(join(clusterPaths(standby.dataDir).cluster, 'PG_VERSION'))) {
    if ((await postgresAnswers(adminUrl(standby.dataDir, standby.port))) === 'ok') {
      report(`postgres: reusing the standby at 127.0.0.1:${standby.port}`);
      return false;
    }
  }
  await startStandby({
    primaryDataDir: dir,
    primaryPort: Number(primaryPort || 5432),
    dataDir: standby.dataDir,
    port: standby.port,
    report,
  });
  report(`postgres: standby streaming on 127.0.0.1:${standby.port} (synchronous)`);
  return true;
}

/** Lets the owner run pg_promote in the application's database (the standby replicates it). */
async function grantPromote(adminUrlOfPrimary: string, role: string): Promise<void> {
  const url = editDatabaseUrl(adminUrlOfPrimary, (u) => {
    u.pathname = `/${LOCAL_DATABASE.name}`;
  });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(
      `grant execute on function pg_promote(boolean, integer) to "${role.replaceAll('"', '""')}"`,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * A primary left waiting for a standby that is gone: after `PG_STANDBY=1 npm start` stopped, the
 * primary's synchronous_standby_names still names the standby, and every commit would wait for
 * it. Provisioning without PG_STANDBY clears it, unless that standby streams (another start runs
 * it), so that the next start and test run commit as before.
 */
export async function releaseAbsentStandby(
  primaryAdminUrl: string,
  report: (line: string) => void,
): Promise<void> {
  const sql = postgres(primaryAdminUrl, { max: 1, onnotice: () => {} });
  try {
    const [setting] = await sql<{ names: string }[]>`
      select current_setting('synchronous_standby_names') as names`;
    if (setting?.names !== STANDBY_NAME) return;
    const [streaming] = await sql`
      select 1 from pg_stat_replication where application_name = ${STANDBY_NAME}`;
    if (streaming !== undefined) return;
    await sql`alter system reset synchronous_standby_names`;
    await sql`select pg_reload_conf()`;
    report('postgres: the standby is not running: commits no longer wait for it');
  } finally {
    await sql.end({ timeout: 1 });
  }
}
