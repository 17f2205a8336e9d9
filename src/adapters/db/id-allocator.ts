import pRetry from 'p-retry';
import type { Sql } from './client.ts';
import { isDataError } from './sqlstate.ts';

/**
 * A block is fetched again after a lost connection (a backend terminated, a pooled connection
 * found closed): nextval twice costs one unused block, while the request it serves would
 * otherwise fail with 503 although the database is there.
 */
const REFILL_RETRY = { retries: 2, minTimeout: 50, maxTimeout: 200 } as const;

/**
 * Hands out album ids from `music.album_id_seq`, one block (the sequence's INCREMENT) per
 * database call, so that posting albums without ids costs no round trip per album.
 */
export class IdAllocator {
  readonly #sql: Sql;
  #next = 0;
  #end = 0;
  #refill: Promise<void> | null = null;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async take(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.#next >= this.#end) await this.#fill();
      else ids.push(this.#next++);
    }
    return ids;
  }

  // Concurrent callers share one refill instead of each burning a block.
  #fill(): Promise<void> {
    this.#refill ??= (async () => {
      try {
        const [row] = await pRetry(
          () => this.#sql<{ first: number; size: number }[]>`
            select nextval('music.album_id_seq')::int4 as first,
                   (select increment_by::int4 from pg_sequences
                     where schemaname = 'music' and sequencename = 'album_id_seq') as size`,
          { ...REFILL_RETRY, shouldRetry: ({ error }) => !isDataError(error) },
        );
        if (!row) throw new Error('music.album_id_seq returned nothing');
        this.#next = row.first;
        this.#end = row.first + row.size;
      } finally {
        this.#refill = null;
      }
    })();
    return this.#refill;
  }
}
