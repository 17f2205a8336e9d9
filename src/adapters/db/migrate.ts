import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql } from './client.ts';

/** Where the migration files live, relative to the project root. */
export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', '..', 'db', 'migrations');

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies the migrations not yet recorded, in one transaction, under an advisory lock
 * so that two processes starting together do not race. A recorded file that changed is an error.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('music-service.migrations'))`;
    await tx`create schema if not exists music`;
    await tx`create table if not exists music.schema_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`;
    const rows = await tx<{ name: string; checksum: string }[]>`
      select name, checksum from music.schema_migrations`;
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    for (const m of migrations) {
      const seen = done.get(m.name);
      if (seen === m.checksum) continue;
      if (seen !== undefined) throw new Error(`migration ${m.name} changed after it was applied`);
      await tx.unsafe(m.sql);
      await tx`insert into music.schema_migrations (name, checksum) values (${m.name}, ${m.checksum})`;
      applied.push(m.name);
    }
  });
  return applied;
}
