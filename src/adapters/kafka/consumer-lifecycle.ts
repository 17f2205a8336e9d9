import type { Logger } from 'pino';

/** Turns anything a Kafka client throws into an Error; librdkafka hands out plain objects. */
export function errorOf(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'object' && e !== null && 'message' in e) {
    const err = new Error(String((e as { message: unknown }).message));
    // Keeps librdkafka's code and isFatal on the Error.
    Object.assign(err, e);
    return err;
  }
  return new Error(String(e));
}

/** What a consumer adapter does when it stops; the lifecycle decides when. */
export interface LifecycleSteps {
  /** Drops records gathered but not handed out: they are not committed and come again. */
  readonly drop: () => void;
  /**
   * Leaves the group and closes the client. graceful: close() was called, so the batch in hand
   * finishes and commits first; otherwise the consumer failed.
   */
  readonly teardown: (graceful: boolean) => Promise<void>;
}

/**
 * The run/close contract of a BatchConsumer (see types.ts), the same on both clients: run() once;
 * it resolves after close() or rejects with the error that stopped the consumer, whichever
 * settles first. close() is idempotent and a no-op after a failure; a failure during close() is
 * logged and left to close().
 */
export interface ConsumerLifecycle {
  /** Set by close() or a failure: take no more records and start no more batches. */
  readonly stopping: boolean;
  /** Between close() and the end of its teardown. */
  readonly closing: boolean;
  /** Starts the consumer once; the returned promise is run()'s. */
  run(start: () => void): Promise<void>;
  close(): Promise<void>;
  /** Stops the consumer for good: drops what was gathered, tears down, rejects run(). */
  fail(e: Error): void;
}

export function createConsumerLifecycle(log: Logger, steps: LifecycleSteps): ConsumerLifecycle {
  let started = false;
  let stopping = false;
  let settled = false;
  let closing: Promise<void> | null = null;
  let failing: Promise<void> | null = null;
  let resolveRun: () => void = () => {};
  let rejectRun: (e: Error) => void = () => {};

  function stop(): void {
    stopping = true;
    steps.drop();
  }

  return {
    get stopping(): boolean {
      return stopping;
    },

    get closing(): boolean {
      return closing !== null && !settled;
    },

    run(start: () => void): Promise<void> {
      if (started) return Promise.reject(new Error('run() was already called'));
      started = true;
      return new Promise<void>((resolve, reject) => {
        resolveRun = resolve;
        rejectRun = reject;
        start();
      });
    },

    close(): Promise<void> {
      if (closing !== null) return closing;
      // After a failure the client is already being torn down: once is enough.
      if (failing !== null) return failing;
      if (settled) return Promise.resolve();
      stop();
      closing = steps.teardown(true).then(() => {
        if (settled) return;
        settled = true;
        resolveRun();
      });
      return closing;
    },

    fail(e: Error): void {
      if (settled) return;
      // An error once close() began (say it cut short a rejoin while the group rebalanced) is
      // part of closing, not a failure of the consumer: close() settles run().
      if (closing !== null || failing !== null) {
        log.debug({ err: e }, 'kafka consumer error while stopping');
        return;
      }
      log.error({ err: e }, 'kafka consumer stopped');
      stop();
      failing = steps
        .teardown(false)
        .catch((err: unknown) => log.warn({ err }, 'kafka consumer teardown failed'))
        .finally(() => {
          if (settled) return;
          settled = true;
          rejectRun(e);
        });
    },
  };
}
