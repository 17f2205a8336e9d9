import { Gauge, type Registry } from 'prom-client';

/** Runs database work while counting it as in flight. */
export type TrackDb = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * PostgreSQL pool metrics. postgres.js exposes no count of busy or idle connections, so calls
 * into the database are counted around each call instead: with N in flight, min(N, max) pooled
 * connections are busy and the rest of the calls wait for one.
 */
export function dbMetrics(registry: Registry, poolMax: number): TrackDb {
  const max = new Gauge({
    name: 'music_db_pool_max_connections',
    help: 'Connections the PostgreSQL pool may open (DB_POOL_MAX)',
    registers: [registry],
  });
  max.set(poolMax);
  const inFlight = new Gauge({
    name: 'music_db_pool_queries_in_flight',
    help:
      'Database calls under way; above music_db_pool_max_connections the rest wait for a ' +
      'connection (counted around each call: postgres.js exposes no pool counters)',
    registers: [registry],
  });
  return async (work) => {
    inFlight.inc();
    try {
      return await work();
    } finally {
      inFlight.dec();
    }
  };
}
