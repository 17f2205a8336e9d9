import postgres from 'postgres';

export type Sql = postgres.Sql;

export interface DbOptions {
  readonly url: string;
  readonly max: number;
  readonly applicationName: string;
}

/** The one PostgreSQL client of a process; numeric and int8 stay text so nothing is rounded. */
export function createSql(o: DbOptions): Sql {
  return postgres(o.url, {
    max: o.max,
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: o.applicationName },
  });
}
