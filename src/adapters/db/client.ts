import postgres from 'postgres';

export type Sql = postgres.Sql;

export interface DbOptions {
  readonly url: string;
  readonly max: number;
  readonly applicationName: string;
  /** The longest a statement may run before PostgreSQL cancels it (57014); 0 or absent: none. */
  readonly statementTimeoutMs?: number | undefined;
  /** How long one connection attempt may take, in seconds (10). */
  readonly connectTimeoutS?: number | undefined;
}

/** A transaction left open and idle this long is ended by the server, freeing its locks. */
const IDLE_IN_TRANSACTION_MS = 60_000;

/** The one PostgreSQL client of a process; numeric and int8 stay text so nothing is rounded. */
export function createSql(o: DbOptions): Sql {
  return postgres(o.url, {
    max: o.max,
    connect_timeout: o.connectTimeoutS ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: o.applicationName,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      ...(o.statementTimeoutMs ? { statement_timeout: o.statementTimeoutMs } : {}),
    },
  });
}
