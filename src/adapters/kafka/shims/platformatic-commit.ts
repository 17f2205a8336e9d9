import type { CommitOptions, CommitOptionsPartition } from '@platformatic/kafka';

/** The one Consumer method used here; both of its overloads, so a Consumer is one. */
export interface Committer {
  commit(options: CommitOptions): Promise<void>;
}

/** Commits of one topic's offsets, one at a time, whose partitions can be narrowed in flight. */
export interface PrunableCommits {
  /** Rejects when the commit failed. */
  commit(offsets: ReadonlyMap<number, bigint>): Promise<void>;
  /** Removes the partitions not in `partitions` from the commit in flight, if any. */
  keepOnly(partitions: ReadonlySet<number>): void;
}

/**
 * Relies on an internal of @platformatic/kafka (checked by
 * test/adapters/kafka/shims/platformatic-commit.test.ts): a commit that fails for a group reason
 * (a rebalance) is retried after the library rejoined the group, from the very `offsets` array it
 * was given, and the join's 'consumer:group:join' event comes before that retry (when the member
 * had rejoined already, the retry follows that join: infra/patch-dependencies.mjs). Pruning the
 * array in place on that event keeps the retry from committing partitions that another member
 * owns now, which could move their committed offsets back.
 */
export function prunableCommits(consumer: Committer, topic: string): PrunableCommits {
  let inFlight: CommitOptionsPartition[] | null = null;
  return {
    async commit(offsets) {
      const list: CommitOptionsPartition[] = [];
      for (const [partition, offset] of offsets)
        list.push({ topic, partition, offset, leaderEpoch: -1 });
      inFlight = list;
      try {
        await consumer.commit({ offsets: list });
      } finally {
        if (inFlight === list) inFlight = null;
      }
    },

    keepOnly(partitions) {
      if (inFlight === null) return;
      for (let i = inFlight.length - 1; i >= 0; i--) {
        const c = inFlight[i];
        if (c !== undefined && !partitions.has(c.partition)) inFlight.splice(i, 1);
      }
    },
  };
}
