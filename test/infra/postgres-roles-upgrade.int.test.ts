// A checkout from before the roles had one role `music` with the password `music` and CREATEDB,
// owning everything. Provisioning must bring such a cluster to the owner, writer and reader with
// generated passwords in place: on a private cluster of this test's own, as `npm start` does it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ensureLocalPasswords,
  ensureRolesAs,
  grantRuntimeRoles,
  localPasswords,
  localRoles,
  urlRole,
} from '../../infra/postgres-roles.ts';
import { createSql, type Sql } from '../../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../../src/adapters/db/migrate.ts';
import type { DatabaseRole } from '../../src/shared/local-database.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { privatePostgres } from '../support/private-infra.ts';

test('an old cluster (music:music, CREATEDB, owner of all) is upgraded in place to three roles', async (t) => {
  const defer = cleanupStack(t);
  const pg = await privatePostgres(defer, 'pg-roles');
  const port = new URL(pg.adminUrl).port;
  const url = (role: string, password: string) =>
    `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/music`;
  const connect = (u: string): Sql => {
    const sql = createSql({ url: u, max: 1, applicationName: 'music-test-upgrade' });
    defer(() => sql.end({ timeout: 5 }));
    return sql;
  };
  // The old state: the role privatePostgres made, with the old fixed password.
  await ensureRolesAs(pg.adminUrl, [urlRole(url('music', 'music'))]);

  const dataDir = await mkdtemp(join(tmpdir(), 'music-roles-'));
  defer(() => rm(dataDir, { recursive: true, force: true }));
  ensureLocalPasswords({ MUSIC_DATA_DIR: dataDir });
  const before = localPasswords(dataDir);
  ensureLocalPasswords({ MUSIC_DATA_DIR: dataDir });
  assert.deepEqual(localPasswords(dataDir), before, 'a second start keeps the passwords');
  assert.deepEqual(
    (() => {
      ensureLocalPasswords({ MUSIC_DATA_DIR: dataDir, DATABASE_URL: 'postgres://x@h/db' });
      return localPasswords(dataDir);
    })(),
    before,
    'an operator URL generates nothing',
  );

  await ensureRolesAs(pg.adminUrl, localRoles(before));
  // Run twice: provisioning runs at every start.
  await ensureRolesAs(pg.adminUrl, localRoles(before));
  const urls: Record<DatabaseRole, string> = {
    owner: url('music', before.owner),
    writer: url('music_writer', before.writer),
    reader: url('music_reader', before.reader),
  };
  const old = connect(url('music', 'music'));
  await assert.rejects(
    old`select 1`,
    /password authentication failed/,
    'the old password no longer opens the database',
  );
  const owner = connect(urls.owner);
  // The migrations privatePostgres applied before the roles existed are kept; 008 grants now.
  assert.deepEqual(await migrate(owner, await readMigrations()), []);
  const writer = connect(urls.writer);
  const reader = connect(urls.reader);
  await assert.rejects(writer`insert into music.albums (id, title, artist) values (9, 't', 'a')`);
  // privatePostgres migrated before the roles existed: provisioning grants again, as the owner.
  await grantRuntimeRoles(owner);
  await writer`insert into music.albums (id, title, artist) values (9, 't', 'a')`;
  assert.equal((await reader`select 1 from music.albums where id = 9`).length, 1);
  await assert.rejects(reader`delete from music.albums`, /permission denied/);
  await assert.rejects(writer`drop table music.albums`, /must be owner/);
});
