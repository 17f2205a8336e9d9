import { performance } from 'node:perf_hooks';
import { newerEventWins } from '../../src/adapters/db/album-upsert.ts';
import type { Sql } from '../../src/adapters/db/client.ts';
import { perSecond } from '../percentiles.ts';

export interface DbCeiling {
  readonly rowsPerSecond: number;
  readonly rows: number;
  readonly seconds: number;
  /** Rows written over all attempts: the work the CPU figures cover. */
  readonly units: number;
}

const SCRATCH = 'music.bench_upsert_ceiling';

/**
 * PostgreSQL's own upsert ceiling: one server-side multi-row INSERT … SELECT … ON CONFLICT DO
 * UPDATE of `rows` generated rows into an empty scratch table shaped like music.albums (same
 * columns, constraints and index), with the consumers' newer-event-wins condition. No client
 * sends a row, so this is what the database alone can write. The best of `attempts` counts.
 */
export async function measureDbCeiling(
  sql: Sql,
  rows: number,
  attempts: number,
): Promise<DbCeiling> {
  await sql`create table ${sql.unsafe(SCRATCH)} (like music.albums including all)`;
  try {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < attempts; i++) {
      await sql`truncate ${sql.unsafe(SCRATCH)}`;
      const started = performance.now();
      await sql`
        insert into ${sql.unsafe(SCRATCH)} as a
          (id, title, artist, price, event_time, event_partition, event_offset)
        select g, 'Bench album ' || lpad(g::text, 5, '0'), 'Artist ' || (g % 97),
               ((g::int8 * 7919) % 1000000) / 100.0,
               timestamptz 'epoch' + (1700000000000 + g) * interval '1 millisecond', g % 6, g
        from generate_series(1, ${rows}::int4) as g
        ${newerEventWins(sql)}`;
      best = Math.min(best, performance.now() - started);
    }
    return {
      rowsPerSecond: perSecond(rows, best),
      rows,
      seconds: best / 1000,
      units: rows * attempts,
    };
  } finally {
    await sql`drop table if exists ${sql.unsafe(SCRATCH)}`;
  }
}
