import pRetry from 'p-retry';
import { type AlbumChange, planBatch, type Rejected } from '../../domain/batch.ts';
import type { BatchHandler, ConsumedMessage, OutgoingMessage } from '../../domain/events.ts';
import type { Logger } from '../../shared/logger.ts';
import { inSpan, tracingOn } from '../../shared/tracing.ts';
import { processSpan } from './batch-span.ts';
import { deadLetterOf } from './dead-letters.ts';

export interface ProcessorPorts {
  /** Writes the changes in one transaction; returns the ids that changed. */
  store(changes: readonly AlbumChange[]): Promise<readonly number[]>;
  /**
   * Keeps dead letters durably, in order, resolving once they are kept; they reach the
   * dead-letter topic after (the runtime's outbox and relay), so a topic that cannot be written
   * for a while never holds back the batch.
   */
  deadLetter(messages: readonly OutgoingMessage[]): Promise<void>;
  /** Whether a failure of `store` is the data's fault, so that retrying can never succeed. */
  isPermanent(err: unknown): boolean;
}

export interface ProcessorOptions {
  readonly client: string;
  readonly log: Logger;
  /** Once aborted, a failing batch is given up (uncommitted) instead of retried. */
  readonly signal: AbortSignal;
}

/**
 * The processing of both consumers, written once: bad records are kept for the dead-letter topic,
 * good ones are upserted in one statement, and only then does the handler resolve (and the consumer
 * commit). Failures are retried with backoff until they succeed or shutdown begins.
 */
export function createBatchProcessor(ports: ProcessorPorts, o: ProcessorOptions): BatchHandler {
  const retry = <T>(what: string, work: () => Promise<T>) =>
    pRetry(work, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 100,
      maxTimeout: 5000,
      factor: 2,
      shouldRetry: () => !o.signal.aborted,
      onFailedAttempt: ({ error, attemptNumber, retryDelay }) =>
        o.log.warn({ err: error, attemptNumber, retryDelay }, `${what} failed; retrying`),
    });

  const deadLetter = async (rejected: readonly Rejected[]): Promise<void> => {
    if (rejected.length === 0) return;
    const letters = rejected.map((r) => deadLetterOf(r.event, r.reason, o.client));
    await retry('dead-lettering', () => ports.deadLetter(letters));
    for (const r of rejected) {
      // The source headers carry the x-request-id of the write, tying this line to its request.
      o.log.warn(
        {
          topic: r.event.topic,
          partition: r.event.partition,
          offset: String(r.event.offset),
          reason: r.reason,
          headers: Object.fromEntries(r.event.headers),
        },
        'dead-lettered a record',
      );
    }
  };

  /**
   * Stores the changes; when the database refuses the batch for its data (a rule it checks that
   * ours missed), stores them one by one and dead-letters those it refuses, so that one bad
   * record cannot stop the partition for good. Upserts are idempotent, so a retry of the whole
   * after a failure half-way changes nothing twice.
   */
  const store = async (changes: readonly AlbumChange[], batch: readonly ConsumedMessage[]) => {
    try {
      return await ports.store(changes);
    } catch (err: unknown) {
      if (!ports.isPermanent(err) || changes.length === 0) throw err;
      o.log.warn({ err }, 'the database refused a batch; storing its albums one by one');
    }
    const changed: number[] = [];
    const refused: Rejected[] = [];
    for (const change of changes) {
      try {
        changed.push(...(await ports.store([change])));
      } catch (err: unknown) {
        if (!ports.isPermanent(err)) throw err;
        const event = batch.find(
          (m) => m.partition === change.partition && m.offset === change.offset,
        );
        if (event) refused.push({ event, reason: `database refused: ${(err as Error).message}` });
      }
    }
    await deadLetter(refused);
    return changed;
  };

  const handle: BatchHandler = async (batch) => {
    const plan = planBatch(batch);
    await deadLetter(plan.rejected);
    const changed = await retry('storing albums', () => store(plan.changes, batch));
    o.log.debug(
      { records: batch.length, changes: plan.changes.length, changed: changed.length },
      'batch stored',
    );
  };
  // Decided once: without tracing the handler is the one the consumers call, as it was.
  if (!tracingOn()) return handle;
  return (batch) =>
    inSpan(
      () => processSpan(batch, o.client),
      () => handle(batch),
    );
}
