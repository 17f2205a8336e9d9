// The migrations as the postgres image runs them on first start (docker-entrypoint-initdb.d, in
// Compose and from the Kubernetes ConfigMap): each file through psql with ON_ERROR_STOP, in
// name order, into an empty database. Run twice, they must change nothing the second time, and
// leave the same schema as the project's own migration runner.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createSql, type Sql } from '../../src/adapters/db/client.ts';
import { psqlMigrations } from '../support/psql.ts';
import { config, testSql } from '../support/stack.ts';

/** Columns, constraints and sequences of the schema `music`, comparable between databases. */
async function shape(sql: Sql) {
  const columns = await sql`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns where table_schema = 'music' and table_name <> 'schema_migrations'
    order by table_name, column_name`;
  const checks = await sql`
    select c.conname, pg_get_constraintdef(c.oid) as def
    from pg_constraint c
    join pg_namespace n on n.oid = c.connamespace
    left join pg_class r on r.oid = c.conrelid
    where n.nspname = 'music' and coalesce(r.relname, '') <> 'schema_migrations'
    order by c.conname`;
  const sequences = await sql`
    select sequencename, data_type::text, start_value::text, increment_by::text
    from pg_sequences where schemaname = 'music' order by sequencename`;
  return { columns: [...columns], checks: [...checks], sequences: [...sequences] };
}

test('psql runs every migration into an empty database, again without change, to the schema migrate() makes', async (t) => {
  const admin = testSql(1);
  const database = `${new URL(config.DATABASE_URL).pathname.slice(1)}_initdb_${randomBytes(3).toString('hex')}`;
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${database}`;
  const fresh = createSql({ url: url.href, max: 1, applicationName: 'music-test' });
  t.after(async () => {
    await fresh.end();
    await admin`drop database if exists ${admin(database)} with (force)`;
    await admin.end();
  });
  await admin`create database ${admin(database)}`;

  const initdb = () => psqlMigrations(url.href);

  await initdb();
  const albums = () => fresh`select id, title, artist, price::text from music.albums order by id`;
  const first = [...(await albums())];
  assert.deepEqual(
    first.map((r) => r.id),
    [1, 2, 3, 4],
    'the seed rows are there',
  );
  await fresh`update music.albums set price = 1.00 where id = 1`;

  await initdb();
  const second = [...(await albums())];
  assert.equal(second.length, 4, 'no row added');
  assert.equal(second[0]?.price, '1.00', 'an existing row is left as it is');

  // The test database was set up by migrate() from the same files.
  assert.deepEqual(await shape(fresh), await shape(admin));
});
