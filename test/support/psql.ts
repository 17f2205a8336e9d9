// psql for the tests that run the files as the postgres image does (docker-entrypoint-initdb.d).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS_DIR, readMigrations } from '../../src/adapters/db/migrate.ts';

/** psql: on PATH, else from Debian's newest PostgreSQL (the project's prerequisite). */
export function psql(): string {
  if (spawnSync('psql', ['--version']).status === 0) return 'psql';
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian).sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => join(debian, v, 'bin', 'psql')).find((p) => existsSync(p));
  assert.ok(found, 'psql is installed (Debian: postgresql-client)');
  return found;
}

/** The flags docker-entrypoint.sh gives psql for each *.sql file. */
const ENTRYPOINT_PSQL_FLAGS = ['-v', 'ON_ERROR_STOP=1', '--no-password', '--no-psqlrc', '--quiet'];

const run = promisify(execFile);

/** Runs every migration into the database of `url` through psql, as docker-entrypoint.sh does. */
export async function psqlMigrations(url: string): Promise<void> {
  const client = psql();
  for (const m of await readMigrations()) {
    await run(client, [
      ...ENTRYPOINT_PSQL_FLAGS,
      '--dbname',
      url,
      '-f',
      join(MIGRATIONS_DIR, m.name),
    ]).catch((err: { stderr?: string }) => {
      throw new Error(`psql failed on ${m.name}: ${err.stderr ?? String(err)}`);
    });
  }
}
