import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testSql } from '../support/stack.ts';

test("the services' database role is no superuser and cannot create roles or bypass row security", async (t) => {
  const sql = testSql(1);
  t.after(() => sql.end({ timeout: 5 }));
  const [role] = await sql<
    { name: string; super: boolean; createrole: boolean; bypassrls: boolean }[]
  >`
    select rolname as name, rolsuper as super, rolcreaterole as createrole, rolbypassrls as bypassrls
    from pg_roles where rolname = current_user`;
  assert.ok(role, 'the role is known');
  assert.deepEqual(
    { super: role.super, createrole: role.createrole, bypassrls: role.bypassrls },
    { super: false, createrole: false, bypassrls: false },
    `role ${role.name}`,
  );
  // What a superuser could do, this role cannot.
  await assert.rejects(sql`create role ${sql(`music_probe_${Date.now()}`)}`, /permission denied/);
  await assert.rejects(sql`select pg_read_file('postgresql.conf')`, /permission denied/);
});
