// A run's own database and topics (a test run, a benchmark run), so that it can share the servers
// of a running `npm start` without touching its data.
import { Admin } from '@platformatic/kafka';
import { createSql } from '../src/adapters/db/client.ts';
import { migrate, readMigrations } from '../src/adapters/db/migrate.ts';

/**
 * Creates database `name` on the server of `baseUrl`, with the migrations applied, and returns
 * its URL. The role of `baseUrl` needs CREATEDB.
 */
export async function createScratchDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = createSql({ url: baseUrl, max: 1, applicationName: 'music-scratch' });
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.href, max: 1, applicationName: 'music-scratch' });
  try {
    await migrate(sql, await readMigrations());
  } finally {
    await sql.end();
  }
  return url.href;
}

/** Drops database `name` on the server of `baseUrl`, closing the connections still on it. */
export async function dropScratchDatabase(baseUrl: string, name: string): Promise<void> {
  const admin = createSql({ url: baseUrl, max: 1, applicationName: 'music-scratch' });
  try {
    await admin`drop database if exists ${admin(name)} with (force)`;
  } finally {
    await admin.end();
  }
}

/** Removes the topics whose names start with `prefix`, so that repeated runs do not fill the broker. */
export async function deleteTopicsWithPrefix(
  brokers: readonly string[],
  prefix: string,
): Promise<void> {
  const admin = new Admin({ clientId: 'music-scratch-cleanup', bootstrapBrokers: [...brokers] });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}
