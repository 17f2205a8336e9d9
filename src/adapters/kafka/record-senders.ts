import { findErrorBy, ProduceAcks, Producer } from '@platformatic/kafka';
import { type KafkaConnection, platformaticConnection } from './connection.ts';
import { withDeadline } from './deadline.ts';
import { javaPartitioner } from './partitioner.ts';
import type { ProduceRecord } from './produce-requests.ts';
import { useClientTxnApi } from './shims/platformatic-client-txn-api.ts';

/** The library's transaction (its class is not exported by name). */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** How the publisher's records reach the broker: one call per group of produce requests. */
export interface RecordSender {
  /**
   * Sends the requests in order, each after the previous one was acknowledged. Resolves once all
   * were; rejects when any failed, or when they took longer than the timeout in all.
   */
  send(requests: readonly ProduceRecord[][]): Promise<void>;
  /** Resolves once the sender is as ready as it gets without sending (whether that worked or not). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface SenderOptions {
  readonly kafka: KafkaConnection;
  readonly clientId: string;
  /** Per request, per attempt; also the deadline of a whole send, and a transaction's timeout. */
  readonly timeoutMs: number;
}

export interface TransactionalOptions extends SenderOptions {
  readonly transactionalId: string;
  /** Called after each request of a transaction was acknowledged (tests make it throw). */
  readonly afterRequest?: (() => void | Promise<void>) | undefined;
  /** Awaited before a transaction's commit is sent (tests hold it past the deadline). */
  readonly beforeCommit?: (() => Promise<void>) | undefined;
}

/**
 * A transaction's first request, right after the previous commit, is answered
 * CONCURRENT_TRANSACTIONS until the coordinator wrote that commit's markers (a few ms): retried
 * after 10 ms, as the Java client does after 20, instead of the 250 ms other failures wait.
 */
function retryDelay(
  client: unknown,
  _operation: string,
  _attempt: number,
  _retries: number,
  error: unknown,
): number {
  // A partition's leader moved (a broker stopping or dying): the library looks its metadata up
  // again only once, then retries at the leader it has, which a leader election not over by
  // then left stale for every retry until the deadline. Forgetting it makes each retry ask.
  if (findErrorBy(error as Error, 'hasStaleMetadata', true) && client instanceof Producer)
    client.clearMetadata();
  return findErrorBy(error as Error, 'apiId', 'CONCURRENT_TRANSACTIONS') ? 10 : 250;
}

/**
 * `noteRetry` hears each error a retry follows: a send cut short by its deadline names the last
 * one as its cause (NOT_ENOUGH_REPLICAS tells the client more than a timeout).
 */
function newProducer(
  o: SenderOptions,
  transactionalId?: string,
  noteRetry?: (error: unknown) => void,
): Producer {
  const producer = new Producer({
    clientId: o.clientId,
    ...platformaticConnection(o.kafka),
    idempotent: true,
    acks: ProduceAcks.ALL,
    timeout: o.timeoutMs,
    autocreateTopics: false,
    partitioner: javaPartitioner(),
    ...(transactionalId === undefined
      ? { retries: 2, retryDelay }
      : {
          transactionalId,
          // A send gives up at its deadline anyway: enough retries (250 ms apart) to reach it, so
          // that a leader change within the deadline is waited out (not only the short
          // CONCURRENT_TRANSACTIONS).
          retries: Math.max(20, Math.ceil(o.timeoutMs / 250)),
          retryDelay: (client, operation, attempt, retries, error) => {
            noteRetry?.(error);
            return retryDelay(client, operation, attempt, retries, error);
          },
          // -1/-1 as Java's initTransactions sends: "a new producer", which the coordinator lets
          // take over the id (fencing the old one); the library's default 0/0 is itself fenced.
          producerId: -1n,
          producerEpoch: -1,
        }),
  });
  if (transactionalId !== undefined) useClientTxnApi(producer);
  return producer;
}

const late = (ms: number) => `no acknowledgement within ${ms} ms`;

/** An idempotent, acks=all sender: the requests of one send are not atomic together. */
export function idempotentSender(o: SenderOptions): RecordSender {
  const producer = newProducer(o);
  return {
    async send(requests) {
      const all = (async () => {
        for (const messages of requests) await producer.send({ messages: [...messages] });
      })();
      await withDeadline(all, o.timeoutMs, late(o.timeoutMs));
    },
    ready: () => Promise.resolve(),
    close: () => producer.close(),
  };
}

/** Thrown when a commit was sent but neither it nor the abort after it was answered. */
export class UnknownOutcomeError extends Error {
  override name = 'UnknownOutcomeError';
}

/**
 * Each send is one Kafka transaction: consumers reading `read_committed` see all of its records
 * or none. It commits only when every request was acknowledged within the timeout; otherwise it
 * is abandoned: the producer is replaced, and the new one's InitProducerId, sent at once under
 * the same transactional id, fences the old one (a late request of it fails) and has the
 * coordinator abort its open transaction, which would otherwise hold back read_committed
 * consumers of its partitions until the transaction timed out. A commit that fails is followed
 * by an abort, which tells whether anything was stored.
 */
export function transactionalSender(o: TransactionalOptions): RecordSender {
  /** The error the current send last retried after, if any. */
  let lastRetried: unknown;
  const noteRetry = (error: unknown) => {
    lastRetried = error;
  };
  let producer = newProducer(o, o.transactionalId, noteRetry);
  /**
   * A transaction begun ahead: at creation, so that the first publish does not pay for finding
   * the coordinator and InitProducerId, and after a replacement, so that fencing happens at once.
   * Null once it failed: the next begin() starts over on a new producer.
   */
  let prepared: Promise<Transaction | null> | null = null;
  /** Replaced producers, closing. */
  const retiring = new Set<Promise<void>>();

  function prepare(): void {
    prepared = producer.beginTransaction().catch(() => null);
  }

  function swapProducer(): void {
    const old = producer;
    producer = newProducer(o, o.transactionalId, noteRetry);
    // Forced: what the old one still retries ends now; fencing keeps it from the log anyway.
    const closing = old.close(true).catch(() => undefined);
    retiring.add(closing);
    void closing.finally(() => retiring.delete(closing));
  }

  async function begin(): Promise<Transaction> {
    const ahead = prepared;
    const on = producer;
    prepared = null;
    if (ahead !== null) {
      const tx = await ahead;
      // This send's deadline passed meanwhile and replaced the producer: the new one, and the
      // transaction begun on it ahead, are the next send's (swapping again would close them).
      if (producer !== on) throw new Error('the producer was replaced while the transaction began');
      if (tx !== null) return tx;
      // It failed (say the broker was down then): its producer is in no known state.
      swapProducer();
    }
    return producer.beginTransaction();
  }

  function replace(): void {
    swapProducer();
    prepare();
  }

  prepare();

  /** True when the transaction is certainly aborted. */
  async function abort(tx: Transaction): Promise<boolean> {
    try {
      await withDeadline(tx.abort(), o.timeoutMs, 'abort not confirmed');
      return true;
    } catch {
      return false;
    }
  }

  return {
    async send(requests) {
      /** Set when the deadline passed: the requests stop and nothing commits. */
      let expired = false;
      lastRetried = undefined;
      const sending = (async () => {
        const tx = await begin();
        for (const messages of requests) {
          if (expired) throw new Error('the transaction expired');
          await tx.send({ messages: [...messages] });
          await o.afterRequest?.();
        }
        return tx;
      })();
      let tx: Transaction;
      try {
        tx = await withDeadline(sending, o.timeoutMs, late(o.timeoutMs), () => lastRetried);
      } catch (err: unknown) {
        expired = true;
        // Never committed. A new producer fences this one at once (its sequence numbers may have
        // a gap after a failed request anyway), and the coordinator aborts the open transaction.
        replace();
        throw err;
      }
      let answered = false;
      const committing = (async () => {
        await o.beforeCommit?.();
        return tx.commit();
      })().finally(() => {
        answered = true;
      });
      try {
        await withDeadline(committing, o.timeoutMs, 'commit not confirmed');
      } catch (err: unknown) {
        // An abort while the commit is still retried would be merged into it by the library.
        if (answered && (await abort(tx))) throw err;
        replace();
        throw new UnknownOutcomeError('The transaction was neither confirmed nor aborted', {
          cause: err,
        });
      }
    },
    async ready() {
      await prepared;
    },
    async close() {
      await prepared;
      await Promise.all(retiring);
      await producer.close();
    },
  };
}
