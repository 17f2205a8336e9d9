// The runtime roles as the postgres image makes them (Compose, Kubernetes): db/migrations/
// 000_roles.sh, sourced by docker-entrypoint.sh with the passwords in the environment, then each
// migration through psql as the image's superuser. On a private cluster, whose roles are this
// test's own: the writer writes rows and cannot drop, the reader reads only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createSql } from '../../src/adapters/db/client.ts';
import { MIGRATIONS_DIR } from '../../src/adapters/db/migrate.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { privatePostgres } from '../support/private-infra.ts';
import { psql, psqlMigrations } from '../support/psql.ts';
import { ROLES_SCRIPT } from './files.ts';

const run = promisify(execFile);

test('000_roles.sh makes the writer and the reader from the environment, and the migrations grant them', async (t) => {
  const defer = cleanupStack(t);
  const pg = await privatePostgres(defer, 'pg-initdb-roles');
  const admin = new URL(pg.adminUrl);
  const client = psql();
  const database = 'initdb';
  const setup = createSql({ url: pg.adminUrl, max: 1, applicationName: 'music-test' });
  defer(() => setup.end({ timeout: 5 }));
  await setup`create database ${setup(database)}`;
  // What docker-entrypoint.sh gives the script, psql's connection aside (the image uses its socket).
  const env = {
    ...process.env,
    PATH: `${join(client, '..')}:${process.env.PATH ?? ''}`,
    POSTGRES_USER: 'postgres',
    POSTGRES_DB: database,
    PGHOST: '127.0.0.1',
    PGPORT: admin.port,
    PGPASSWORD: decodeURIComponent(admin.password),
  };
  const script = join(MIGRATIONS_DIR, ROLES_SCRIPT);
  await assert.rejects(run('bash', [script], { env }), /music_writer role needs a password/);
  const passwords = { writer: 'writer-pw-1234567', reader: 'reader-pw-1234567' };
  await run('bash', [script], {
    env: {
      ...env,
      MUSIC_DB_WRITER_PASSWORD: passwords.writer,
      MUSIC_DB_READER_PASSWORD: passwords.reader,
    },
  });
  const url = new URL(pg.adminUrl);
  url.pathname = `/${database}`;
  await psqlMigrations(url.href);

  const as = (role: string, password: string) => {
    const u = new URL(url);
    u.username = role;
    u.password = password;
    const sql = createSql({ url: u.href, max: 1, applicationName: 'music-test' });
    defer(() => sql.end({ timeout: 5 }));
    return sql;
  };
  const writer = as('music_writer', passwords.writer);
  const reader = as('music_reader', passwords.reader);
  await writer`insert into music.albums (id, title, artist) values (11, 't', 'a')`;
  await writer`select nextval('music.album_id_seq')`;
  await assert.rejects(writer`drop table music.albums`, /must be owner/);
  await assert.rejects(writer`truncate music.albums`, /permission denied/);
  await assert.rejects(writer`create database intruder`, /permission denied/);
  assert.equal((await reader`select 1 from music.albums where id = 11`).length, 1);
  await assert.rejects(
    reader`insert into music.albums (id, title, artist) values (12, 't', 'a')`,
    /permission denied/,
  );
});
