// The local stack's PostgreSQL roles and where their generated passwords live. `npm start` and
// `npm test` write the passwords on first use (infra/local-passwords.ts); the config loader reads
// them here, so the services, the tests and `npx music` find them with no setup. Nothing here is
// read when DATABASE_URL is set: then the operator's URLs are the whole truth.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { withHosts, writableOnly } from './database-url.ts';

/** The checkout's root: a relative MUSIC_DATA_DIR is taken from here, whatever the cwd. */
const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The three roles of the local database. The names are fixed: migration 008 grants the runtime
 * roles their rights by these names, and an operator's own logins join them (`GRANT
 * music_writer TO app`).
 */
export const DATABASE_ROLES = {
  /** Owns schema `music` and its objects; runs the migrations. */
  owner: 'music',
  /** The consumers' and the REST API's: rows only, no DDL. */
  writer: 'music_writer',
  /** The gRPC API's: SELECT only. */
  reader: 'music_reader',
} as const;

export type DatabaseRole = keyof typeof DATABASE_ROLES;

export const LOCAL_DATABASE = { host: '127.0.0.1', port: 5432, name: 'music' } as const;

/** The data dir of MUSIC_DATA_DIR (default `.data`), relative to the checkout. */
export function localDataDir(musicDataDir = '.data'): string {
  return isAbsolute(musicDataDir) ? musicDataDir : resolve(PROJECT_ROOT, musicDataDir);
}

/** Where the generated password of a role is kept (mode 0600), beside the admin password. */
export function passwordFile(dataDir: string, role: DatabaseRole): string {
  return join(dataDir, `postgres-${DATABASE_ROLES[role]}.password`);
}

export type LocalPasswords = Readonly<Record<DatabaseRole, string>>;

/** The generated passwords, or undefined until provisioning wrote all three. */
export function readLocalPasswords(dataDir: string): LocalPasswords | undefined {
  try {
    const read = (role: DatabaseRole) => readFileSync(passwordFile(dataDir, role), 'utf8').trim();
    return { owner: read('owner'), writer: read('writer'), reader: read('reader') };
  } catch {
    return undefined;
  }
}

/** The URL of a local role; without a password before one was generated. */
export function localDatabaseUrl(role: DatabaseRole, password?: string): string {
  const url = new URL(
    `postgres://${LOCAL_DATABASE.host}:${LOCAL_DATABASE.port}/${LOCAL_DATABASE.name}`,
  );
  url.username = DATABASE_ROLES[role];
  if (password) url.password = encodeURIComponent(password);
  return url.href;
}

/**
 * A local URL naming the primary and its standby (`PG_STANDBY=1`): for writes the primary first,
 * then the standby, and only a server that takes writes (`target_session_attrs=read-write`: the
 * standby once promoted); for reads the standby first, then the primary.
 */
export function withLocalStandby(url: string, standbyPort: number, use: 'write' | 'read'): string {
  const primary = `${LOCAL_DATABASE.host}:${LOCAL_DATABASE.port}`;
  const standby = `${LOCAL_DATABASE.host}:${standbyPort}`;
  if (use === 'read') return withHosts(url, [standby, primary]);
  return writableOnly(withHosts(url, [primary, standby]));
}
