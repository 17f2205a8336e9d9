import type { PartitionProgress } from '../../adapters/kafka/group-probe.ts';

/** A partition on which the consumer group has stopped while records keep arriving. */
export interface StalledPartition {
  readonly partition: number;
  /** Records not committed yet. */
  readonly lag: bigint;
  /** The committed offset (or the log start where none was committed) that has not moved. */
  readonly at: bigint;
  /** How long it has not moved, as far as this watch saw, in milliseconds. */
  readonly forMs: number;
}

interface Seen {
  readonly from: bigint;
  /** When `from` was first seen at this value. */
  readonly since: number;
  /** The end offset last seen, and when it first and last grew since `from` was seen. */
  readonly end: bigint;
  readonly firstGrowth: number | null;
  readonly lastGrowth: number | null;
}

/** Tells stalled partitions from successive readings of a group's progress. */
export interface StallWatch {
  /** Takes a reading (at the clock's now) and returns the partitions stalled as of it. */
  observe(progress: readonly PartitionProgress[]): StalledPartition[];
}

/**
 * A partition is stalled when records arrived on it at least `stallAfterMs` ago and none has
 * been committed since, while records keep arriving (its end offset grew again within the last
 * `stallAfterMs`): the consumer makes no progress while its lag grows. Lag alone is not enough:
 * with transactional producers a partition at rest keeps a lag of its commit markers (and of
 * aborted records, which arrive once and are never delivered), which a consumer reading
 * committed records never commits past, so "lag > 0 and no commit" would flag idle partitions.
 *
 * What it knows comes from the readings it is given, so it answers within `stallAfterMs` plus
 * the interval between readings; the first reading starts every clock.
 */
export function createStallWatch(stallAfterMs: number, now: () => number = Date.now): StallWatch {
  const seen = new Map<number, Seen>();
  return {
    observe(progress) {
      const t = now();
      const stalled: StalledPartition[] = [];
      const present = new Set<number>();
      for (const p of progress) {
        present.add(p.partition);
        const from = p.committed ?? p.start;
        const before = seen.get(p.partition);
        let next: Seen;
        if (before === undefined || before.from !== from) {
          next = { from, since: t, end: p.end, firstGrowth: null, lastGrowth: null };
        } else if (p.end > before.end) {
          next = { ...before, end: p.end, firstGrowth: before.firstGrowth ?? t, lastGrowth: t };
        } else {
          next = { ...before, end: p.end };
        }
        seen.set(p.partition, next);
        const lag = p.end > from ? p.end - from : 0n;
        if (
          lag > 0n &&
          next.firstGrowth !== null &&
          next.lastGrowth !== null &&
          t - next.firstGrowth >= stallAfterMs &&
          t - next.lastGrowth < stallAfterMs
        )
          stalled.push({ partition: p.partition, lag, at: from, forMs: t - next.since });
      }
      for (const partition of seen.keys()) if (!present.has(partition)) seen.delete(partition);
      return stalled;
    },
  };
}

/** One line naming each stalled partition of `topic`, for a readiness check. */
export function describeStalls(topic: string, stalled: readonly StalledPartition[]): string {
  return stalled
    .map(
      (s) =>
        `partition ${s.partition} of ${topic} stalled: committed offset ${s.at} unchanged for ` +
        `${Math.round(s.forMs / 1000)} s while records arrive (lag ${s.lag})`,
    )
    .join('; ');
}
