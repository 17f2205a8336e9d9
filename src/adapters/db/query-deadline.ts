import { AppError, ErrorCode } from '../../shared/errors.ts';
import type { Sql } from './client.ts';

/** Hands `work`'s query to the deadline and returns it unchanged, to be awaited as before. */
export type Watch = <Q extends object>(query: Q) => Q;

/** The watch of work run without a deadline. */
export const unwatched: Watch = (query) => query;

/** postgres.js sets a sent query's `state` to its connection's backend key (pid and secret). */
type Sent = { state?: { pid?: number | null } };

/**
 * Runs `work` within `ms`, a bound the statement timeout cannot give: it ends only statements the
 * server runs, and a connection can hang with each side waiting on the other (seen after
 * connections were killed: postgres.js waiting on a backend that showed `active`/`ClientRead`,
 * so a consumer member stored nothing for good). Past `ms` it rejects with deadline_exceeded,
 * which callers retry, and ends the backend of the last query `work` watched from another
 * connection of the pool; that fails the hung query, and postgres.js drops its connection
 * instead of keeping it reserved. A hang before the first watched query is sent (in `begin`)
 * is given up all the same, but its connection is not ended. `ms` of 0: no deadline.
 */
export async function withinDeadline<T>(
  sql: Sql,
  ms: number,
  work: (watch: Watch) => Promise<T>,
): Promise<T> {
  if (ms <= 0) return work(unwatched);
  let watched: Sent | undefined;
  const running = work((query) => {
    watched = query as Sent;
    return query;
  });
  const { promise: expired, reject } = Promise.withResolvers<never>();
  const timer = setTimeout(() => {
    const pid = watched?.state?.pid;
    // Only while it is still busy: a connection that just finished is back in the pool and fine.
    if (typeof pid === 'number') {
      sql`
        select pg_terminate_backend(pid) from pg_stat_activity
        where pid = ${pid} and state <> 'idle'`.catch(() => {});
    }
    reject(
      new AppError(
        ErrorCode.DeadlineExceeded,
        `The database did not finish within ${ms} ms; ${typeof pid === 'number' ? `ended its backend ${pid}` : 'no backend was known to end'}`,
      ),
    );
  }, ms);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
