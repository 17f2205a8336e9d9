import pRetry from 'p-retry';
import type { BatchHandler, ConsumedMessage, OutgoingMessage } from '../../adapters/kafka/types.ts';
import type { AlbumChange } from '../../domain/batch.ts';
import { planBatch } from '../../domain/batch.ts';
import type { Logger } from '../../shared/logger.ts';

export interface ProcessorPorts {
  /** Writes the changes in one transaction; returns the ids that changed. */
  store(changes: readonly AlbumChange[]): Promise<readonly number[]>;
  /** Publishes dead letters, resolving once the broker acknowledged them. */
  deadLetter(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface ProcessorOptions {
  readonly client: string;
  readonly log: Logger;
  /** Once aborted, a failing batch is given up (uncommitted) instead of retried. */
  readonly signal: AbortSignal;
}

/** Headers that say why a record was dead-lettered and where it came from. */
export function deadLetterOf(
  message: ConsumedMessage,
  reason: string,
  client: string,
): OutgoingMessage {
  return {
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value ?? new Uint8Array(),
    headers: {
      'x-dlq-reason': reason,
      'x-dlq-source-topic': message.topic,
      'x-dlq-source-partition': String(message.partition),
      'x-dlq-source-offset': message.offset.toString(),
      'x-dlq-source-timestamp': message.timestamp.toString(),
      'x-dlq-consumer': client,
      ...Object.fromEntries(message.headers),
    },
  };
}

/**
 * The processing of both consumers, written once: bad records go to the dead-letter topic, good
 * ones are upserted in one statement, and only then does the handler resolve (and the consumer
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

  return async (batch) => {
    const plan = planBatch(batch);
    if (plan.rejected.length > 0) {
      const letters = plan.rejected.map((r) => deadLetterOf(r.event, r.reason, o.client));
      await retry('dead-lettering', () => ports.deadLetter(letters));
      for (const r of plan.rejected) {
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
    }
    const changed = await retry('storing albums', () => ports.store(plan.changes));
    o.log.debug(
      { records: batch.length, changes: plan.changes.length, changed: changed.length },
      'batch stored',
    );
  };
}
