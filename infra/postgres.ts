import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import {
  clusterHome,
  prepareRelocatedHome,
  pruneOrphanedHomes,
  relocatedHome,
} from './postgres-location.ts';
import { CLUSTER_SETTINGS, upgradedSettings } from './postgres-settings.ts';

export interface LocalPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly report: (line: string) => void;
}

export type Reachability = 'ok' | 'down' | { readonly refused: string };

/**
 * Whether PostgreSQL answers at the URL with these credentials: `down` when nothing listens,
 * `refused` when a server answers but will not let us in (wrong password, no such database).
 */
export async function postgresAnswers(url: string): Promise<Reachability> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return 'ok';
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code))
      return 'down';
    if (code === '57P03') return 'down'; // the server is starting up
    return { refused: `${code} ${(err as Error).message}`.trim() };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The directory of the newest PostgreSQL server binaries: PATH first, then Debian's layout. */
export function serverBinDir(): string {
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  // Through links (/usr/local/bin/pg_ctl → /usr/lib/postgresql/15/bin): pg_basebackup is there.
  const onPath = found && realpathSync(found);
  if (onPath && existsSync(join(onPath, '..', 'initdb'))) return join(onPath, '..');
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql) or set DATABASE_URL to an existing server',
    );
  }
  return join(debian, versions[0], 'bin');
}

// initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
export function asOwner(): { user: string | null; uid: number; gid: number } {
  if (userInfo().uid !== 0) return { user: null, uid: -1, gid: -1 };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0)
    throw new Error('running as root needs a `postgres` user to own the database cluster');
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { user: 'postgres', uid: Number(id.stdout.trim()), gid };
}

/** Runs a server binary as the cluster's owner (`user`, or ourselves when null). */
export function runAsOwner(
  bin: string,
  args: readonly string[],
  user: string | null,
  env: NodeJS.ProcessEnv = {},
): void {
  const [cmd, argv] = user === null ? [bin, args] : ['runuser', ['-u', user, '--', bin, ...args]];
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/**
 * Paths of the project's private cluster. The cluster, its initdb password file and its log are
 * in the data dir or, as root when the `postgres` user cannot reach the data dir, in a folder of
 * this clone's under /var/lib/music-service (`relocated`). The admin password stays in the data
 * dir: only we read it.
 */
export function clusterPaths(dataDir: string) {
  return pathsIn(clusterHome(dataDir), dataDir);
}

function pathsIn(home: string, dataDir: string) {
  return {
    relocated: home !== resolve(dataDir),
    cluster: join(home, 'postgres'),
    initdbPassword: join(home, 'postgres-initdb.pw'),
    log: join(home, 'logs', 'postgres.log'),
    adminPassword: join(dataDir, 'postgres-admin.password'),
  };
}

/**
 * Starts the project's private PostgreSQL cluster (created with initdb on first use) on
 * 127.0.0.1:port and returns a superuser URL. pg_ctl detaches the server, so it outlives us.
 */
export async function startLocalPostgres(o: LocalPostgresOptions): Promise<string> {
  const bin = serverBinDir();
  const owner = asOwner();
  mkdirSync(o.dataDir, { recursive: true });
  const paths = clusterPaths(o.dataDir);
  if (paths.relocated) {
    prepareRelocatedHome(o.dataDir);
    for (const gone of pruneOrphanedHomes())
      o.report(`postgres: removed ${gone}, the cluster of a data dir that no longer exists`);
    o.report(
      `postgres: the postgres user cannot enter ${resolve(o.dataDir)}; keeping the cluster in ${paths.cluster}`,
    );
  }
  mkdirSync(dirname(paths.log), { recursive: true });
  const own = (path: string) => {
    if (owner.user !== null) chownSync(path, owner.uid, owner.gid);
  };
  const conf = join(paths.cluster, 'postgresql.auto.conf');
  if (!existsSync(join(paths.cluster, 'PG_VERSION'))) {
    o.report(`postgres: creating a private cluster in ${paths.cluster}`);
    mkdirSync(paths.cluster, { recursive: true, mode: 0o700 });
    own(paths.cluster);
    const password = randomBytes(18).toString('base64url');
    writeFileSync(paths.adminPassword, password, { mode: 0o600 });
    const pwfile = paths.initdbPassword;
    writeFileSync(pwfile, password, { mode: 0o600 });
    own(pwfile);
    try {
      runAsOwner(
        join(bin, 'initdb'),
        [
          '-D',
          paths.cluster,
          '-U',
          'postgres',
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C.UTF-8',
        ],
        owner.user,
      );
    } finally {
      writeFileSync(pwfile, '');
    }
    writeFileSync(conf, [...CLUSTER_SETTINGS, ''].join('\n'));
    own(conf);
  } else {
    const was = readFileSync(conf, 'utf8');
    const now = upgradedSettings(was);
    if (now !== was) {
      writeFileSync(conf, now);
      o.report(`postgres: updated the cluster's former default settings in ${conf}`);
    }
  }
  if (!existsSync(paths.log)) writeFileSync(paths.log, '');
  own(paths.log);
  o.report(`postgres: starting on 127.0.0.1:${o.port}`);
  try {
    runAsOwner(
      join(bin, 'pg_ctl'),
      ['start', '-D', paths.cluster, '-l', paths.log, '-w', '-t', '60', '-o', `-p ${o.port}`],
      owner.user,
    );
  } catch (err) {
    const tail = readFileSync(paths.log, 'utf8').trim().split('\n').slice(-5).join('\n');
    throw new Error(
      `PostgreSQL did not start (${(err as Error).message.split('\n')[0]}):\n${tail}`,
    );
  }
  return adminUrl(o.dataDir, o.port);
}

/** The superuser URL of the private cluster, or null when there is no private cluster. */
export function adminUrl(dataDir: string, port: number): string {
  const { adminPassword } = clusterPaths(dataDir);
  const password = readFileSync(adminPassword, 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

export function hasLocalCluster(dataDir: string): boolean {
  const { adminPassword, cluster } = clusterPaths(dataDir);
  return existsSync(adminPassword) && existsSync(join(cluster, 'PG_VERSION'));
}

/** Stops the private cluster if it runs. */
export function stopLocalPostgres(dataDir: string): void {
  const bin = serverBinDir();
  runAsOwner(
    join(bin, 'pg_ctl'),
    ['stop', '-D', clusterPaths(dataDir).cluster, '-m', 'fast', '-w'],
    asOwner().user,
  );
}

/**
 * Removes the private cluster's files wherever they live (the data dir and, as root, the clone's
 * folder under /var/lib/music-service); the rest of the data dir is left. Stop the cluster first.
 */
export function removeLocalPostgres(dataDir: string): void {
  const moved = relocatedHome(dataDir);
  if (existsSync(moved)) rmSync(moved, { recursive: true, force: true });
  const local = pathsIn(resolve(dataDir), dataDir);
  for (const path of [local.cluster, local.initdbPassword, local.log, local.adminPassword])
    rmSync(path, { recursive: true, force: true });
}
