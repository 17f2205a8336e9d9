import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BatchHandler } from '../../domain/events.ts';
import type { BatchConsumer } from './types.ts';

export interface RestartPolicy {
  /** Failures tolerated within `windowMs`; one more and run() rejects with it. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** Wait before the first restart of a run of failures, doubled at each next one... */
  readonly firstDelayMs: number;
  /** ...up to this. */
  readonly maxDelayMs: number;
  /**
   * How long the failed member's batch in hand is waited for before the new member starts
   * anyway: a batch stuck for good (a database connection that never answers) must not keep the
   * partitions from everyone. Past it, an old batch may still end beside a new one; upserts are
   * ordered by the records' offsets, so neither can store an older version over a newer.
   */
  readonly batchWaitMs: number;
}

/**
 * A broker restart can end a member for good while the cluster is fine a few seconds later:
 * @platformatic/kafka's fetch gives up at once on a leader it has no address for ("Cannot find
 * broker with node id 3", seen during a rolling restart of a 3-node cluster). Five in ten minutes
 * ride out a rolling restart; more mean something is wrong, and the process's supervisor decides.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 10 * 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 16_000,
  batchWaitMs: 15_000,
};

/**
 * A group member that, when the client fails, starts a new one from `create` in its place, in
 * the same process: the group's committed offsets say where it resumes, so what the failed one
 * handled but had not committed comes again (stored once all the same: upserts are ordered by
 * offset). The failed member's batch in hand ends before the new one starts (or the policy's
 * batchWaitMs runs out), so that two batches of one partition do not run at once. Gives up as
 * the policy says.
 */
export function restartingConsumer(
  create: () => BatchConsumer,
  log: Logger,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): BatchConsumer {
  let current = create();
  let closing = false;
  let wakeUp: () => void = () => {};
  const failures: number[] = [];
  let inFlight: Promise<void> = Promise.resolve();

  return {
    client: current.client,

    async run(handle: BatchHandler): Promise<void> {
      // Each batch is awaited by the member that handed it out, one at a time per member.
      const tracked: BatchHandler = (batch) => {
        const done = handle(batch);
        inFlight = done.then(
          () => undefined,
          () => undefined,
        );
        return done;
      };
      for (;;) {
        try {
          await current.run(tracked);
          return;
        } catch (e: unknown) {
          if (closing) return;
          const now = Date.now();
          failures.push(now);
          while (failures.length > 0 && (failures[0] ?? now) <= now - policy.windowMs)
            failures.shift();
          if (failures.length > policy.maxRestarts) throw e;
          const delayMs = Math.min(
            policy.maxDelayMs,
            policy.firstDelayMs * 2 ** (failures.length - 1),
          );
          log.warn(
            { err: e, client: current.client, delayMs, restarts: failures.length },
            'kafka consumer failed; starting a new one',
          );
          await Promise.race([inFlight, sleep(policy.batchWaitMs, undefined, { ref: false })]);
          const closed = new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
          await Promise.race([sleep(delayMs, undefined, { ref: false }), closed]);
          if (closing) return;
          current = create();
        }
      }
    },

    close(): Promise<void> {
      closing = true;
      wakeUp();
      return current.close();
    },

    isJoined: () => !closing && current.isJoined(),
  };
}
