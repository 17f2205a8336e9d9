// Where the private cluster's files live. As root the cluster belongs to the `postgres` user
// (initdb refuses root), and that user must be able to enter every parent of the cluster: a clone
// under /root (mode 700) or in a `mktemp -d` folder is out of its reach. Such a clone keeps its
// cluster in a per-clone folder under /var/lib/music-service instead; any other keeps it in the
// data dir, as it always did.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { processRuns } from './process-runs.ts';

/** The parent of relocated clusters, one folder per clone. */
export const RELOCATED_ROOT = '/var/lib/music-service';

/** Where a clone's cluster goes when the `postgres` user cannot reach its data dir. */
export function relocatedHome(dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(RELOCATED_ROOT, hash);
}

/** Whether the `postgres` user can enter the directory (and so every one of its parents). */
export function postgresCanEnter(dir: string): boolean {
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]).status === 0;
}

const hasCluster = (home: string) => existsSync(join(home, 'postgres', 'PG_VERSION'));

// A folder not created yet gets its parent's reach (root creates folders 0755).
function nearestExisting(dir: string): string {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * The folder that holds the cluster (`postgres/`), its initdb password file and its log: the data
 * dir, or its relocated home when run as root and the `postgres` user cannot enter the data dir.
 * An existing cluster is found where it is, so that a later change of modes does not lose it.
 */
export function clusterHome(dataDir: string): string {
  const local = resolve(dataDir);
  if (userInfo().uid !== 0) return local;
  const moved = relocatedHome(local);
  if (hasCluster(moved)) return moved;
  if (hasCluster(local)) return local;
  return postgresCanEnter(nearestExisting(local)) ? local : moved;
}

/**
 * Creates the data dir's relocated home so that the `postgres` user can enter it (its parents
 * 0755; the cluster folder itself is made 0700 and given to that user by the caller), marks it
 * with the data dir it serves, and returns it. Fails when even that home is out of the user's reach.
 */
export function prepareRelocatedHome(dataDir: string): string {
  const home = relocatedHome(dataDir);
  for (const dir of [RELOCATED_ROOT, home, join(home, 'logs')]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  if (!postgresCanEnter(home)) {
    throw new Error(
      `the postgres user cannot enter ${home} either: check the modes of its parents`,
    );
  }
  writeFileSync(join(home, OWNER_FILE), `${resolve(dataDir)}\n`);
  return home;
}

/** The file in a relocated home naming the data dir it serves. */
const OWNER_FILE = 'owner';

function serverRuns(home: string): boolean {
  try {
    const pidFile = readFileSync(join(home, 'postgres', 'postmaster.pid'), 'utf8');
    return processRuns(Number(pidFile.split('\n')[0]));
  } catch {
    return false;
  }
}

/**
 * Removes the relocated homes of data dirs that no longer exist (a clone deleted with `rm -rf`
 * leaves its cluster here, gigabytes each) and returns them. A home whose server still runs, or
 * without the owner mark (made before there was one), is left.
 */
export function pruneOrphanedHomes(): string[] {
  if (!existsSync(RELOCATED_ROOT)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(RELOCATED_ROOT)) {
    const home = join(RELOCATED_ROOT, name);
    let owner: string;
    try {
      owner = readFileSync(join(home, OWNER_FILE), 'utf8').trim();
    } catch {
      continue;
    }
    if (owner === '' || existsSync(owner) || serverRuns(home)) continue;
    rmSync(home, { recursive: true, force: true });
    removed.push(home);
  }
  return removed;
}
