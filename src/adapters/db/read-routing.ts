import type { Sql } from './client.ts';

/** What the last look at the standby found, for /readyz and the logs. */
export interface ReplicaState {
  /** Where reads go now. */
  readonly readsFrom: 'standby' | 'primary';
  /** The standby's replay lag in milliseconds; null when it did not answer. */
  readonly lagMs: number | null;
  /** False once the server of the read URL was promoted (or was never a standby). */
  readonly inRecovery: boolean | null;
  readonly detail: string;
}

export interface ReadRouting {
  readonly standby: Sql;
  readonly primary: Sql;
  /** The client reads should use now: the standby's, or the primary's while it lags. */
  reads(): Sql;
  /** Looks at the standby again now (readiness does; reads look at most once a second). */
  check(): Promise<ReplicaState>;
  state(): ReplicaState;
}

export interface ReadRoutingOptions {
  /** Reads go to the primary while the standby's replay lag is above this. */
  readonly maxLagMs: number;
  /** How long one look at the standby serves reads. */
  readonly everyMs?: number;
  readonly now?: () => number;
}

/**
 * The standby's replay lag: zero when it has replayed everything it received (an idle primary
 * makes no lag, nor a primary that is gone), else the age of the last transaction it replayed,
 * which is how far behind the primary's clock its rows are. A promoted server has none.
 */
const LAG_QUERY = `
  select pg_is_in_recovery() as in_recovery,
    case when not pg_is_in_recovery() then 0
         when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
         else coalesce(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, 0)
    end::float8 as lag_ms`;

/**
 * Reads from a standby while it keeps up, from the primary while it does not: the read APIs see
 * rows at most `maxLagMs` old, and keep answering from the standby when the primary is gone.
 * The standby is looked at lazily, on reads, at most once per `everyMs`; a look that fails (the
 * standby is down) sends reads to the primary until one succeeds.
 */
export function createReadRouting(standby: Sql, primary: Sql, o: ReadRoutingOptions): ReadRouting {
  const everyMs = o.everyMs ?? 1000;
  const clock = o.now ?? Date.now;
  let current: ReplicaState = {
    readsFrom: 'standby',
    lagMs: null,
    inRecovery: null,
    detail: 'not looked at yet',
  };
  let lastAt = Number.NEGATIVE_INFINITY;
  let looking: Promise<ReplicaState> | null = null;
  const look = async (): Promise<ReplicaState> => {
    try {
      const [row] = await standby.unsafe<{ in_recovery: boolean; lag_ms: number }[]>(LAG_QUERY);
      const lagMs = Math.round(row?.lag_ms ?? 0);
      const inRecovery = row?.in_recovery ?? false;
      const behind = lagMs > o.maxLagMs;
      return {
        readsFrom: behind ? 'primary' : 'standby',
        lagMs,
        inRecovery,
        detail: inRecovery
          ? `standby replays ${lagMs} ms behind (bound ${o.maxLagMs} ms): reads from the ${behind ? 'primary' : 'standby'}`
          : 'the read server takes writes (promoted): reads from it',
      };
    } catch (err) {
      return {
        readsFrom: 'primary',
        lagMs: null,
        inRecovery: null,
        detail: `standby does not answer (${(err as Error).message}): reads from the primary`,
      };
    }
  };
  const check = () => {
    looking ??= look().then((state) => {
      current = state;
      lastAt = clock();
      looking = null;
      return state;
    });
    return looking;
  };
  return {
    standby,
    primary,
    reads() {
      if (clock() - lastAt >= everyMs) void check();
      return current.readsFrom === 'standby' ? standby : primary;
    },
    check,
    state: () => current,
  };
}
