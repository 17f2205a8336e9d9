import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenStored } from '../src/adapters/db/album-events.ts';
import type { Sql } from '../src/adapters/db/client.ts';

/**
 * Watches the consumers' `music_albums_stored` notifications: they are sent right after each
 * batch's upsert, so they tell when rows became visible without polling the table.
 */
export interface StoredWatcher {
  /** Ids heard of since the last reset. */
  count(): number;
  /** When the first and the last notification since the last reset arrived (performance.now()). */
  firstAt(): number;
  lastAt(): number;
  /** How many ids the first notification since the last reset carried. */
  firstCount(): number;
  /** Forgets what was heard; `onIds`, when given, is told of every id from now on. */
  reset(onIds?: (ids: readonly number[], at: number) => void): void;
  /** Resolves once `count` ids were heard since the last reset; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function watchStored(sql: Sql): Promise<StoredWatcher> {
  let count = 0;
  let first = 0;
  let last = 0;
  let firstCount = 0;
  let listener: ((ids: readonly number[], at: number) => void) | undefined;
  const unlisten = await listenStored(sql, (ids) => {
    const at = performance.now();
    if (count === 0) {
      first = at;
      firstCount = ids.length;
    }
    count += ids.length;
    last = at;
    listener?.(ids, at);
  });
  return {
    count: () => count,
    firstAt: () => first,
    lastAt: () => last,
    firstCount: () => firstCount,
    reset(onIds) {
      count = 0;
      first = 0;
      last = 0;
      firstCount = 0;
      listener = onIds;
    },
    async waitFor(want, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (count < want) {
        if (performance.now() > deadline)
          throw new Error(
            `only ${count} of ${want} albums were stored within ${Math.round(timeoutMs / 1000)} s`,
          );
        await sleep(5);
      }
    },
    close: () => unlisten(),
  };
}
