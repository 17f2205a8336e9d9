// A run's own database and topics (a test run, a benchmark run), so that it can share the servers
// of a running `npm start` without touching its data.
import { Admin } from '@platformatic/kafka';
import pRetry from 'p-retry';
import { createSql } from '../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../src/adapters/db/migrate.ts';
import { type KafkaConnection, platformaticConnection } from '../src/adapters/kafka/connection.ts';
import type { DatabaseUrls } from '../src/shared/config.ts';

/** The same server and credentials, on database `name`. */
export function onDatabase(url: string, name: string): string {
  const moved = new URL(url);
  moved.pathname = `/${name}`;
  return moved.href;
}

/**
 * Every database URL of a configuration moved to database `name`: the environment of a run's
 * processes, so that they use the owner, writer and reader roles there as they would on `music`.
 */
export function databaseEnvOn(urls: DatabaseUrls, name: string): DatabaseUrls {
  return {
    DATABASE_URL: onDatabase(urls.DATABASE_URL, name),
    DATABASE_MIGRATE_URL: onDatabase(urls.DATABASE_MIGRATE_URL, name),
    DATABASE_WRITE_URL: onDatabase(urls.DATABASE_WRITE_URL, name),
    DATABASE_READ_URL: onDatabase(urls.DATABASE_READ_URL, name),
  };
}

/**
 * Creates database `name` on the server of `baseUrl`, with the migrations applied, and returns
 * its URL. The role of `baseUrl` (the owner: DATABASE_MIGRATE_URL) needs CREATEDB.
 */
export async function createScratchDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = createSql({ url: baseUrl, max: 1, applicationName: 'music-scratch' });
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end();
  }
  const url = onDatabase(baseUrl, name);
  const sql = createSql({ url, max: 1, applicationName: 'music-scratch' });
  try {
    await migrate(sql, await readMigrations());
  } finally {
    await sql.end();
  }
  return url;
}

/**
 * Creates database `name` as a copy of `template` (already migrated) and returns its URL: a
 * copy takes a fraction of a second where migrating takes seconds.
 */
export async function copyScratchDatabase(
  baseUrl: string,
  template: string,
  name: string,
): Promise<string> {
  const admin = createSql({ url: baseUrl, max: 1, applicationName: 'music-scratch' });
  try {
    await pRetry(() => admin`create database ${admin(name)} template ${admin(template)}`, {
      retries: 10,
      minTimeout: 100,
      // 55006: another session is on the template for a moment (a copy made beside this one).
      shouldRetry: ({ error }) => (error as { code?: string }).code === '55006',
    });
  } finally {
    await admin.end();
  }
  return onDatabase(baseUrl, name);
}

/**
 * Drops database `name`, and with `prefixed` every database whose name starts with it, on the
 * server of `baseUrl`, closing the connections still on them.
 */
export async function dropScratchDatabase(
  baseUrl: string,
  name: string,
  prefixed = false,
): Promise<void> {
  const admin = createSql({ url: baseUrl, max: 1, applicationName: 'music-scratch' });
  try {
    const names = prefixed
      ? (
          await admin<{ datname: string }[]>`
            select datname from pg_database where starts_with(datname, ${name})`
        ).map((r) => r.datname)
      : [name];
    for (const db of names)
      await pRetry(() => admin`drop database if exists ${admin(db)} with (force)`, {
        retries: 20,
        minTimeout: 50,
        maxTimeout: 500,
        // A client that just exited can leave its backend alive for a moment; FORCE may not
        // terminate another role's backend (42501, the services' reader and writer roles), and
        // one may connect meanwhile (55006). Both go once the backends are gone.
        shouldRetry: ({ error }) =>
          ['42501', '55006'].includes((error as { code?: string }).code ?? ''),
      });
  } finally {
    await admin.end();
  }
}

/** Removes the topics whose names start with `prefix`, so that repeated runs do not fill the broker. */
export async function deleteTopicsWithPrefix(
  kafka: KafkaConnection,
  prefix: string,
): Promise<void> {
  const admin = new Admin({ clientId: 'music-scratch-cleanup', ...platformaticConnection(kafka) });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}
