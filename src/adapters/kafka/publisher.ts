import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingMessage } from '../../domain/events.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import type { KafkaConnection } from './connection.ts';
import { withDeadline } from './deadline.ts';
import { DEFAULT_MAX_REQUEST_BYTES, splitRequests, toRecords } from './produce-requests.ts';
import {
  idempotentSender,
  type RecordSender,
  transactionalSender,
  UnknownOutcomeError,
} from './record-senders.ts';
import { unacknowledgedMessage } from './replica-errors.ts';

export interface PublisherOptions {
  readonly kafka: KafkaConnection;
  readonly clientId: string;
  /** A publish not acknowledged within this many milliseconds fails as unavailable. */
  readonly timeoutMs: number;
  /** Records per produce request at most. */
  readonly maxBatch?: number;
  /**
   * The least milliseconds between the starts of two rounds while publishes come together (the
   * last round carried more than one); 0: none. A publish after a quiet spell, or from a caller
   * alone, leaves at once; under a steady trickle from several callers each round waits for the
   * rest of this time and carries what arrived meanwhile: fewer transactions for the same records.
   */
  readonly roundSpacingMs?: number;
  /** Estimated bytes of records per produce request at most (produce-requests.ts). */
  readonly maxRequestBytes?: number;
  /**
   * Publishes in Kafka transactions under this id, unique per process: what leaves in one
   * produce round (one publish, or several that waited together) is stored whole or not at all.
   * Without it, records are only idempotent.
   */
  readonly transactionalId?: string;
  /** Called after each produce request of a transaction was acknowledged; tests make it throw. */
  readonly afterRequest?: () => void | Promise<void>;
  /** Awaited before each transaction's commit is sent; tests hold it past the deadline. */
  readonly beforeCommit?: () => Promise<void>;
  /**
   * Told how many records of a topic the broker acknowledged, or failed to, after each produce
   * request; metrics hang here so that this adapter needs no metrics library.
   */
  readonly onOutcome?: (outcome: PublishOutcome) => void;
}

const OUTCOME_UNKNOWN =
  'Kafka did not confirm the transaction, nor its abort: it may still be stored';

/**
 * True for a publish whose records may be in the log although it failed (a commit neither
 * confirmed nor refused, twice): its caller must not take the failure for "nothing written".
 */
export function mayBeStored(err: unknown): boolean {
  return err instanceof AppError && err.cause instanceof UnknownOutcomeError;
}

export interface PublishOutcome {
  readonly topic: string;
  readonly records: number;
  /** The publishes (callers) of the topic in the round: how many requests one transaction served. */
  readonly publishes: number;
  readonly acknowledged: boolean;
}

interface Pending {
  readonly topic: string;
  readonly messages: readonly OutgoingMessage[];
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * A transactional id for one process start: unique, so that no two REST processes fence each
 * other, and new at every start, since a restarted process has no transaction of its
 * predecessor to finish (an open one is aborted by the coordinator at its timeout).
 */
export function processTransactionalId(clientId: string): string {
  return `${clientId}-${randomUUID()}`;
}

/** Publishes records and resolves only once the broker acknowledged every one of them. */
export interface Publisher {
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** The publisher of createPublisher, which can be asked to get ready before the first publish. */
export interface ReadyingPublisher extends Publisher {
  /**
   * Resolves true once the producers are initialised (transactional ones hold a transaction
   * begun ahead), false if that did not happen within `timeoutMs`; publishing works either way.
   */
  ready(timeoutMs: number): Promise<boolean>;
}

/**
 * An acks=all producer on @platformatic/kafka, transactional when given a transactionalId. One
 * produce round is in flight at a time; publishes made meanwhile wait and leave together in the
 * next one, so rounds grow with load without a fixed linger delay, and records of one key keep
 * their order. A round is cut into produce requests within the broker's limits, so a publish is
 * never refused for where its keys hash to. With transactions, a round is one transaction: if it
 * fails, every publish in it fails and none of its records is read by a read_committed consumer.
 *
 * One round at a time on purpose: a transaction costs the broker far more than its records (a
 * few appends to its transaction log and a marker per partition), so fewer, larger rounds beat
 * concurrent ones on a busy broker (measured: 4 concurrent transactional producers answered
 * fewer single POSTs than one). Rounds alternate between two transactional producers, though:
 * one producer's next transaction waits until the coordinator finished writing the last one's
 * markers (its requests are refused CONCURRENT_TRANSACTIONS meanwhile), which tripled the time
 * of a round; the other producer's has nothing to wait for.
 */
export function createPublisher(o: PublisherOptions): ReadyingPublisher {
  const { transactionalId } = o;
  const senders: RecordSender[] =
    transactionalId === undefined
      ? [idempotentSender(o)]
      : [0, 1].map((n) =>
          transactionalSender({ ...o, transactionalId: `${transactionalId}-${n}` }),
        );
  let rounds = 0;
  const nextSender = () => senders[rounds++ % senders.length] as RecordSender;
  const limits = {
    maxRecords: o.maxBatch ?? 5000,
    maxBytes: o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
  };
  let queue: Pending[] = [];
  /** The loop sending the queue, while it runs; close() waits for it. */
  let sending: Promise<void> | null = null;
  let closed = false;
  const spacingMs = o.roundSpacingMs ?? 0;
  let lastRoundAt = Number.NEGATIVE_INFINITY;
  let lastRoundPublishes = 0;

  function report(taken: readonly Pending[], acknowledged: boolean): void {
    if (!o.onOutcome) return;
    const byTopic = new Map<string, { records: number; publishes: number }>();
    for (const p of taken) {
      const counts = byTopic.get(p.topic) ?? { records: 0, publishes: 0 };
      counts.records += p.messages.length;
      counts.publishes++;
      byTopic.set(p.topic, counts);
    }
    try {
      for (const [topic, counts] of byTopic) o.onOutcome({ topic, ...counts, acknowledged });
    } catch {
      // Observing a publish must never stop the queue: a broken hook only loses its counts.
    }
  }

  /** The next round's share of the queue: up to maxBatch records, at least one publish. */
  function take(): Pending[] {
    const taken: Pending[] = [];
    let count = 0;
    while (
      queue.length > 0 &&
      (taken.length === 0 || count + (queue[0]?.messages.length ?? 0) <= limits.maxRecords)
    ) {
      const next = queue.shift() as Pending;
      taken.push(next);
      count += next.messages.length;
    }
    return taken;
  }

  async function send(taken: readonly Pending[]): Promise<void> {
    let failure: AppError | null = null;
    try {
      // Inside the try: whatever fails, these callers hear of it and the queue goes on.
      const requests = splitRequests(toRecords(taken), limits);
      try {
        await nextSender().send(requests);
      } catch (err: unknown) {
        if (!(err instanceof UnknownOutcomeError)) throw err;
        // The commit was neither confirmed nor refused: the records may be in the log or not.
        // Sent again in a new transaction, on the other producer (the first one is being fenced,
        // which settles its transaction one way or the other), they are there for certain; a
        // first copy, if the coordinator committed it, is the same album with the same id earlier
        // in the log, and leaves one row. If this fails too, the outcome is still unknown.
        await nextSender()
          .send(requests)
          .catch((again: unknown) => {
            throw again instanceof UnknownOutcomeError ? again : err;
          });
      }
    } catch (err) {
      failure =
        err instanceof UnknownOutcomeError
          ? new AppError(ErrorCode.Unavailable, OUTCOME_UNKNOWN, { cause: err })
          : new AppError(ErrorCode.Unavailable, unacknowledgedMessage(err), { cause: err });
    }
    // Counted before the callers hear of it, so a 202 never precedes its count.
    report(taken, failure === null);
    for (const p of taken) {
      if (failure) p.reject(failure);
      else p.resolve();
    }
  }

  /**
   * Sends until the queue is empty. `sending` is cleared in the very step that finds it empty, so
   * a publish right after (say from a caller just resolved) starts the next drain.
   */
  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        // Only while publishes come together: one caller posting one album after another
        // finds a round of its own each time, and waits for no spacing.
        const wait = lastRoundAt + spacingMs - performance.now();
        if (wait > 0 && lastRoundPublishes > 1) await sleep(wait);
        lastRoundAt = performance.now();
        const taken = take();
        lastRoundPublishes = taken.length;
        await send(taken);
      }
    } finally {
      sending = null;
    }
  }

  return {
    publish(topic, messages) {
      if (closed)
        return Promise.reject(new AppError(ErrorCode.Unavailable, 'The publisher is closed'));
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages, resolve, reject });
        sending ??= drain();
      });
    },
    async ready(timeoutMs) {
      const all = Promise.all(senders.map((s) => s.ready()));
      return withDeadline(all, timeoutMs, 'not ready').then(
        () => true,
        () => false,
      );
    },
    async close() {
      closed = true;
      // What was published before close() is still sent (or failed) before the producer closes.
      await sending;
      queue = [];
      await Promise.all(senders.map((s) => s.close()));
    },
  };
}
