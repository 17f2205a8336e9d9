import type { Logger } from 'pino';
import type { ConsumedMessage } from '../../domain/events.ts';

/**
 * What to commit after a batch: the highest offset + 1 of each of its partitions that is still
 * assigned. A partition lost in a rebalance is not ours to commit: its new owner re-reads it.
 */
export function offsetsToCommit(
  batch: readonly ConsumedMessage[],
  assigned: ReadonlySet<number>,
): Map<number, bigint> {
  const highest = new Map<number, bigint>();
  for (const m of batch) {
    const prev = highest.get(m.partition);
    if (prev === undefined || m.offset > prev) highest.set(m.partition, m.offset);
  }
  const next = new Map<number, bigint>();
  for (const [partition, offset] of highest)
    if (assigned.has(partition)) next.set(partition, offset + 1n);
  return next;
}

/**
 * A failed commit is not fatal: the records come again (at least once) or a later batch commits
 * further.
 */
export function warnCommitFailed(
  log: Logger,
  err: Error,
  offsets: ReadonlyMap<number, bigint>,
): void {
  log.warn(
    { err, offsets: [...offsets].map(([partition, offset]) => `${partition}@${offset}`) },
    'kafka commit failed',
  );
}
