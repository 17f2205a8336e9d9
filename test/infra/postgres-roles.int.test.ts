// The database roles of the issue "least-privilege PostgreSQL": the writer and the reader the
// services run as may touch rows only (never DROP, ALTER, TRUNCATE or CREATE DATABASE), the reader
// only SELECT; the owner migrates. Checked on the run's database (a copy of the template, so the
// grants of CREATE DATABASE … TEMPLATE are the ones under test) and on a fresh one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { localPasswords } from '../../infra/postgres-roles.ts';
import { onDatabase } from '../../infra/scratch.ts';
import { createSql, type Sql } from '../../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../../src/adapters/db/migrate.ts';
import {
  DATABASE_ROLES,
  type DatabaseRole,
  localDataDir,
  passwordFile,
} from '../../src/shared/local-database.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { config, idBlock, rolesSplit, userOf } from '../support/stack.ts';

const skip = rolesSplit ? false : 'one role for everything: DATABASE_WRITE_URL is the owner';

function connect(t: { after(fn: () => unknown): void }, url: string): Sql {
  const sql = createSql({ url, max: 1, applicationName: 'music-test-roles' });
  t.after(() => sql.end({ timeout: 5 }));
  return sql;
}

const DENIED = /permission denied|must be owner/;

test('the reader reads albums and can write nothing', { skip }, async (t) => {
  const reader = connect(t, config.DATABASE_READ_URL);
  const [id] = idBlock(1);
  await reader`select count(*) from music.albums`;
  await assert.rejects(
    reader`insert into music.albums (id, title, artist) values (${id ?? 1}, 't', 'a')`,
    DENIED,
  );
  await assert.rejects(reader`update music.albums set price = 0`, DENIED);
  await assert.rejects(reader`select nextval('music.album_id_seq')`, DENIED);
  await assert.rejects(reader`select count(*) from music.idempotency_keys`, DENIED);
  await assert.rejects(reader`delete from music.dead_letter_outbox`, DENIED);
  await assert.rejects(reader`select count(*) from music.album_tombstones`, DENIED);
});

test('the writer writes rows and takes ids, but cannot drop, alter, truncate or create', {
  skip,
}, async (t) => {
  const writer = connect(t, config.DATABASE_WRITE_URL);
  const [id = 1] = idBlock(1);
  await writer`insert into music.albums (id, title, artist) values (${id}, 't', 'a')
    on conflict (id) do update set title = excluded.title`;
  await writer`update music.albums set price = 1 where id = ${id}`;
  await writer`select nextval('music.album_id_seq')`;
  await writer`delete from music.idempotency_keys where created_at < now() - interval '1 day'`;
  await writer`delete from music.dead_letter_outbox where id = -1`;
  await assert.rejects(writer`drop table music.albums`, DENIED);
  await assert.rejects(writer`truncate music.albums`, DENIED);
  await assert.rejects(writer`alter table music.albums add column x int`, DENIED);
  await assert.rejects(writer`create table music.intruder (x int)`, DENIED);
  await assert.rejects(writer`drop sequence music.album_id_seq`, DENIED);
  // Consumers delete rows on tombstones and keep those tombstones, which nothing deletes.
  await writer`insert into music.album_tombstones (id, event_time, event_partition, event_offset)
    values (${id}, now(), 0, 0) on conflict (id) do update set event_offset = 1`;
  await writer`delete from music.albums where id = ${id}`;
  await assert.rejects(writer`delete from music.album_tombstones where id = ${id}`, DENIED);
  await assert.rejects(writer`create database ${writer(`music_intruder_${id}`)}`, DENIED);
});

test('neither runtime role is superuser or may create databases or roles', { skip }, async (t) => {
  const owner = connect(t, config.DATABASE_MIGRATE_URL);
  for (const url of [config.DATABASE_WRITE_URL, config.DATABASE_READ_URL]) {
    const [role] = await owner<{ createdb: boolean; super: boolean; createrole: boolean }[]>`
      select rolcreatedb as createdb, rolsuper as super, rolcreaterole as createrole
      from pg_roles where rolname = ${userOf(url)}`;
    assert.deepEqual(role, { createdb: false, super: false, createrole: false }, userOf(url));
  }
});

test('the owner migrates a new database, and the migrations grant the runtime roles their rights', {
  skip,
}, async (t) => {
  const database = `${new URL(config.DATABASE_URL).pathname.slice(1)}_roles_${randomBytes(3).toString('hex')}`;
  const defer = cleanupStack(t);
  const admin = createSql({
    url: config.DATABASE_MIGRATE_URL,
    max: 1,
    applicationName: 'music-test-roles',
  });
  defer(() => admin.end({ timeout: 5 }));
  await admin`create database ${admin(database)}`;
  defer(() => admin`drop database if exists ${admin(database)} with (force)`);
  // Closed before the database is dropped: cleanupStack runs the steps in reverse.
  const connect = (url: string) => {
    const sql = createSql({ url, max: 1, applicationName: 'music-test-roles' });
    defer(() => sql.end({ timeout: 5 }));
    return sql;
  };
  const owner = connect(onDatabase(config.DATABASE_MIGRATE_URL, database));
  const migrations = await readMigrations();
  assert.deepEqual(
    await migrate(owner, migrations),
    migrations.map((m) => m.name),
  );
  const writer = connect(onDatabase(config.DATABASE_WRITE_URL, database));
  await writer`insert into music.albums (id, title, artist) values (7, 't', 'a')`;
  const reader = connect(onDatabase(config.DATABASE_READ_URL, database));
  assert.equal((await reader`select id from music.albums where id = 7`).length, 1);
  const [{ owner: tableOwner } = { owner: '' }] = await owner<{ owner: string }[]>`
    select tableowner as owner from pg_tables where schemaname = 'music' and tablename = 'albums'`;
  assert.equal(tableOwner, userOf(config.DATABASE_MIGRATE_URL));
});

test('the local roles passwords are generated files of mode 0600 that the URLs use', {
  skip: userOf(config.DATABASE_WRITE_URL) === DATABASE_ROLES.writer ? false : 'not the local roles',
}, () => {
  const dir = localDataDir(config.MUSIC_DATA_DIR);
  const passwords = localPasswords(dir);
  const urls: Record<DatabaseRole, string> = {
    owner: config.DATABASE_MIGRATE_URL,
    writer: config.DATABASE_WRITE_URL,
    reader: config.DATABASE_READ_URL,
  };
  for (const role of Object.keys(DATABASE_ROLES) as DatabaseRole[]) {
    const file = passwordFile(dir, role);
    assert.equal(statSync(file).mode & 0o777, 0o600, file);
    assert.ok(passwords[role].length >= 24, `${role}: a generated password, not a word`);
    assert.equal(decodeURIComponent(new URL(urls[role]).password), passwords[role], role);
  }
});
