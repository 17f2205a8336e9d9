// As root the private cluster belongs to the `postgres` user, who cannot enter a clone under
// /root or in a `mktemp -d` folder: such a clone's cluster lives under /var/lib/music-service.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  clusterPaths,
  hasLocalCluster,
  postgresAnswers,
  removeLocalPostgres,
  startLocalPostgres,
  stopLocalPostgres,
} from '../../infra/postgres.ts';
import { postgresCanEnter, RELOCATED_ROOT, relocatedHome } from '../../infra/postgres-location.ts';
import { freePort } from '../../infra/services.ts';

const asRoot = userInfo().uid === 0;

test('as root, a cluster the postgres user cannot reach in the data dir lives under /var/lib/music-service, and is removed from there', async (t) => {
  if (!asRoot) {
    t.skip('needs root: only as root does the cluster belong to the postgres user');
    return;
  }
  const outside = mkdtempSync(join(tmpdir(), 'music-pg-location-'));
  chmodSync(outside, 0o700);
  const dataDir = join(outside, '.data');
  const moved = relocatedHome(dataDir);
  t.after(() => {
    try {
      stopLocalPostgres(dataDir);
    } catch {
      // Not started (the test failed before).
    }
    removeLocalPostgres(dataDir);
    rmSync(outside, { recursive: true, force: true });
  });
  assert.equal(postgresCanEnter(outside), false, `the postgres user cannot enter ${outside}`);

  // Two homes of other data dirs: one whose data dir is gone (a deleted clone), one whose is not.
  const gone = join(outside, 'deleted-clone', '.data');
  const kept = join(outside, 'other-clone', '.data');
  mkdirSync(kept, { recursive: true });
  for (const other of [gone, kept]) {
    const home = relocatedHome(other);
    mkdirSync(join(home, 'postgres'), { recursive: true });
    writeFileSync(join(home, 'owner'), `${other}\n`);
    t.after(() => rmSync(home, { recursive: true, force: true }));
  }

  const lines: string[] = [];
  const port = await freePort('127.0.0.1', randomInt(20_000, 60_000));
  const admin = await startLocalPostgres({ dataDir, port, report: (l) => void lines.push(l) });

  assert.equal(await postgresAnswers(admin), 'ok');
  const paths = clusterPaths(dataDir);
  assert.ok(paths.relocated);
  assert.ok(paths.cluster.startsWith(`${RELOCATED_ROOT}/`), paths.cluster);
  assert.equal(paths.cluster, join(moved, 'postgres'));
  assert.ok(
    lines.some((l) => l.includes(`keeping the cluster in ${paths.cluster}`)),
    `the start output says where the cluster lives:\n${lines.join('\n')}`,
  );
  assert.equal(existsSync(relocatedHome(gone)), false, "the deleted clone's cluster is removed");
  assert.ok(
    lines.some((l) => l.includes(`removed ${relocatedHome(gone)}`)),
    `the start output says what it removed:\n${lines.join('\n')}`,
  );
  assert.ok(existsSync(relocatedHome(kept)), "a live clone's cluster is kept");
  assert.equal(
    readFileSync(join(moved, 'owner'), 'utf8').trim(),
    dataDir,
    'the home names its data dir',
  );
  const cluster = statSync(paths.cluster);
  assert.equal(cluster.mode & 0o777, 0o700);
  const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  assert.equal(cluster.uid, postgresUid, 'the cluster belongs to the postgres user');
  assert.equal(statSync(RELOCATED_ROOT).mode & 0o777, 0o755);
  assert.equal(statSync(moved).mode & 0o777, 0o755);
  assert.ok(existsSync(paths.log), 'the server log is in the relocated folder');
  assert.ok(hasLocalCluster(dataDir));

  // A second start finds the cluster where the first one put it.
  stopLocalPostgres(dataDir);
  assert.equal(await postgresAnswers(admin), 'down');
  await startLocalPostgres({ dataDir, port, report: () => {} });
  assert.equal(await postgresAnswers(admin), 'ok');

  stopLocalPostgres(dataDir);
  assert.equal(await postgresAnswers(admin), 'down');
  removeLocalPostgres(dataDir);
  assert.equal(existsSync(moved), false, `${moved} removed`);
  assert.equal(hasLocalCluster(dataDir), false);
});

test('a data dir the postgres user can enter keeps its cluster in the data dir', (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'music-pg-location-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  chmodSync(outside, 0o755);
  const dataDir = join(outside, '.data');
  const paths = clusterPaths(dataDir);
  assert.equal(paths.relocated, false);
  assert.equal(paths.cluster, join(dataDir, 'postgres'));
  assert.equal(paths.log, join(dataDir, 'logs', 'postgres.log'));
});
