import { createSql, type Sql } from '../../adapters/db/client.ts';
import { createReadRouting, type ReadRouting } from '../../adapters/db/read-routing.ts';
import type { Closer } from '../../shared/closer.ts';
import type { Config } from '../../shared/config.ts';
import { databaseHosts } from '../../shared/database-url.ts';

/**
 * Whether DATABASE_READ_URL leads to another server than DATABASE_WRITE_URL (its first server
 * differs): a standby, as `PG_STANDBY=1 npm start` and a managed replica give. Otherwise reads
 * share the writer's pool: a second pool on the same server would only double the connections.
 */
export function readsApart(config: Pick<Config, 'DATABASE_READ_URL' | 'DATABASE_WRITE_URL'>) {
  return databaseHosts(config.DATABASE_READ_URL)[0] !== databaseHosts(config.DATABASE_WRITE_URL)[0];
}

/**
 * The REST API's reads on the standby, left for the primary (the writer's pool) while the standby
 * lags more than DATABASE_READ_MAX_LAG_MS; null when there is no standby. The standby's client is
 * the caller's (`own`, a test's) or one made here and ended with `parts`.
 */
export function standbyReads(
  parts: Closer,
  config: Config,
  primary: Sql,
  own: Sql | undefined,
): ReadRouting | null {
  if (own === undefined && !readsApart(config)) return null;
  const standby =
    own ??
    parts.own(
      createSql({
        url: config.DATABASE_READ_URL,
        max: config.DB_POOL_MAX,
        applicationName: 'music-rest-reads',
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      }),
      (sql) => sql.end({ timeout: 5 }),
    );
  return createReadRouting(standby, primary, { maxLagMs: config.DATABASE_READ_MAX_LAG_MS });
}
