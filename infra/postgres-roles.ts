// The database roles provisioning makes, as a superuser: the local stack's owner, writer and
// reader with generated passwords, or the one role of a DATABASE_URL an operator chose. The same
// statements run through a superuser connection (our private cluster) or psql as the `postgres`
// user (Debian's system cluster), so both kinds of server end up alike.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import postgres from 'postgres';
import type { Sql } from '../src/adapters/db/client.ts';
import { readMigrations } from '../src/adapters/db/migrate.ts';
import {
  DATABASE_ROLES,
  type DatabaseRole,
  LOCAL_DATABASE,
  type LocalPasswords,
  localDataDir,
  passwordFile,
} from '../src/shared/local-database.ts';

/** A login role to create when missing and to bring to these rights and password always. */
export interface RoleSpec {
  readonly name: string;
  readonly password: string;
  /** Given at creation only. */
  readonly created: string;
  /** Set every time: what the role must have (or must not) whatever someone changed. */
  readonly enforced: string;
}

// The owner runs migrations and, locally, the test runs' and benchmarks' CREATE DATABASE: it is
// the provisioning role, which no service process uses.
const OWNER_RIGHTS = 'login createdb nosuperuser nocreaterole noreplication nobypassrls';
// What the services run as: log in, nothing more. Rights on rows come from migration 008.
const RUNTIME_RIGHTS = 'login nocreatedb nosuperuser nocreaterole noreplication nobypassrls';

/** Statements and lookups run as a superuser. */
interface Admin {
  exec(statement: string): Promise<void>;
  exists(query: string): Promise<boolean>;
}

/**
 * Writes a password for each local role that has none yet (base64url, mode 0600) in the data dir
 * of MUSIC_DATA_DIR, unless DATABASE_URL is set (then the roles are the operator's). Before the
 * configuration is loaded, so that it finds them. Two starts racing keep the first one's.
 */
export function ensureLocalPasswords(env: NodeJS.ProcessEnv = process.env): void {
  if (env.DATABASE_URL) return;
  const dir = localDataDir(env.MUSIC_DATA_DIR || undefined);
  mkdirSync(dir, { recursive: true });
  for (const role of Object.keys(DATABASE_ROLES) as DatabaseRole[]) {
    try {
      writeFileSync(passwordFile(dir, role), randomBytes(18).toString('base64url'), {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** The local passwords ensureLocalPasswords wrote. */
export function localPasswords(dataDir: string): LocalPasswords {
  const read = (role: DatabaseRole) => readFileSync(passwordFile(dataDir, role), 'utf8').trim();
  return { owner: read('owner'), writer: read('writer'), reader: read('reader') };
}

/** The local stack's three roles with their passwords. */
export function localRoles(passwords: LocalPasswords): RoleSpec[] {
  return [
    {
      name: DATABASE_ROLES.owner,
      password: passwords.owner,
      created: OWNER_RIGHTS,
      // A checkout from before the split made `music` with the password `music` and CREATEDB:
      // it is brought to the generated password here, in place.
      enforced: 'login createdb nosuperuser',
    },
    ...(['writer', 'reader'] as const).map((role) => ({
      name: DATABASE_ROLES[role],
      password: passwords[role],
      created: RUNTIME_RIGHTS,
      enforced: RUNTIME_RIGHTS,
    })),
  ];
}

/**
 * The one role of an application URL an operator gave (DATABASE_URL on a local server that does
 * not know it): it may log in and create databases (test runs make their own), nothing more. An
 * existing role keeps its other rights: it may be one an operator chose on purpose.
 */
export function urlRole(appUrl: string): RoleSpec {
  const url = new URL(appUrl);
  return {
    name: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    created: OWNER_RIGHTS,
    enforced: 'login createdb',
  };
}

/** Creates or updates the roles, then the database (owned by `owner`) when missing. */
async function ensureRoles(
  admin: Admin,
  roles: readonly RoleSpec[],
  database: string,
  owner: string,
): Promise<void> {
  for (const role of roles) {
    // CREATE ROLE takes no IF NOT EXISTS; the DO block makes it idempotent.
    await admin.exec(
      `do $$ begin if not exists (select from pg_roles where rolname = ${quoteLiteral(role.name)}) ` +
        `then create role ${quoteIdent(role.name)} ${role.created}; end if; end $$`,
    );
    await admin.exec(
      `alter role ${quoteIdent(role.name)} with ${role.enforced} password ${quoteLiteral(role.password)}`,
    );
  }
  if (!(await admin.exists(`select 1 from pg_database where datname = ${quoteLiteral(database)}`)))
    await admin.exec(`create database ${quoteIdent(database)} owner ${quoteIdent(owner)}`);
}

/** Provisions the roles and database through a superuser URL (our private cluster's). */
export async function ensureRolesAs(
  adminUrl: string,
  roles: readonly RoleSpec[],
  database: string = LOCAL_DATABASE.name,
): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await ensureRoles(
      {
        exec: async (statement) => void (await sql.unsafe(statement)),
        exists: async (query) => (await sql.unsafe(query)).length > 0,
      },
      roles,
      database,
      roles[0]?.name ?? DATABASE_ROLES.owner,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Provisions the roles and database on a Debian system cluster (`pg_ctlcluster`) that answers on
 * the port but does not know them: as root, through psql as the `postgres` user over the local
 * socket (peer authentication). Returns false when that is not possible here.
 */
export async function ensureRolesOnSystemCluster(
  port: string,
  roles: readonly RoleSpec[],
  database: string = LOCAL_DATABASE.name,
): Promise<boolean> {
  const psql = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).stdout.trim();
  if (userInfo().uid !== 0 || !psql || spawnSync('id', ['-u', 'postgres']).status !== 0)
    return false;
  const run = (command: string) =>
    spawnSync('runuser', ['-u', 'postgres', '--', psql, '-p', port, '-tAc', command], {
      encoding: 'utf8',
    });
  if (run('select 1').status !== 0) return false;
  const admin: Admin = {
    exec: async (statement) => {
      const done = run(statement);
      // The statement holds a password: only psql's own message is shown.
      if (done.status !== 0) throw new Error(`psql as postgres: ${done.stderr.trim()}`);
    },
    exists: async (query) => run(query).stdout.trim() === '1',
  };
  await ensureRoles(admin, roles, database, roles[0]?.name ?? DATABASE_ROLES.owner);
  return true;
}

/** The migration that grants the runtime roles their rights on schema `music`. */
export const GRANTS_MIGRATION = '008_runtime_roles.sql';

/** It and the later migrations that grant rights on what they add, in order. */
const GRANTING_MIGRATIONS = [GRANTS_MIGRATION, '009_album_tombstones.sql'];

/**
 * Runs the grants of GRANTING_MIGRATIONS again, as the owner: a database migrated before the
 * roles existed (one URL first, the local roles later) recorded them with nothing granted. Each
 * file is idempotent, so running one again changes nothing but the grants.
 */
export async function grantRuntimeRoles(owner: Sql): Promise<void> {
  const migrations = await readMigrations();
  for (const name of GRANTING_MIGRATIONS) {
    const grants = migrations.find((m) => m.name === name);
    if (grants === undefined) throw new Error(`migration ${name} is missing`);
    await owner.unsafe(grants.sql);
  }
}

// Utility statements take no bind parameters, so names and passwords are quoted here.
function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const quoteIdent = (value: string) => `"${value.replaceAll('"', '""')}"`;
