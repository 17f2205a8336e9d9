import type { BatchHandler } from '../../domain/events.ts';
import type { KafkaConnection } from './connection.ts';

/** The Kafka client libraries a consumer or producer can run on. */
export const KAFKA_CLIENTS = ['platformatic', 'confluent'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/**
 * A consumer-group member that delivers records in batches. Offsets of a batch are committed
 * only after the handler resolved; a handler that rejects stops the consumer with that error
 * (the caller retries inside the handler, so a rejection means give up).
 */
export interface BatchConsumer {
  readonly client: KafkaClientName;
  /** Joins the group and delivers batches until close() is called. Resolves after close. */
  run(handle: BatchHandler): Promise<void>;
  /** Lets the batch in hand finish and commit, leaves the group, closes connections. */
  close(): Promise<void>;
  /** True while the member holds a group assignment (possibly empty) after a successful join. */
  isJoined(): boolean;
}

/**
 * How both consumers fetch: the broker holds a fetch until 256 KiB of records are there or 20 ms
 * passed (CONSUMER_FETCH_WAIT_MS). Batching at the broker spares it a request per handful of
 * records: answering every fetch at once cost it ~40% of a core at 1,000 albums/s (single
 * writes), and twice its CPU per single write at full load. It adds at most the wait to a write's
 * way to the table; 10 ms took a third off the end-to-end p99 and cost a fifth more CPU per
 * single POST (docs/benchmarks.md).
 */
export const FETCH = { maxWaitMs: 20, minBytes: 256 * 1024 } as const;

export interface ConsumerOptions {
  readonly kafka: KafkaConnection;
  readonly clientId: string;
  readonly groupId: string;
  readonly topic: string;
  /** Deliver a batch when it holds this many records... */
  readonly batchSize: number;
  /** ...or when this many milliseconds passed since its first record. */
  readonly batchWaitMs: number;
  /** How long the broker may hold a fetch to gather records; FETCH.maxWaitMs when unset. */
  readonly fetchWaitMs?: number | undefined;
  /** A member silent this long is dropped from the group and its partitions move on. */
  readonly sessionTimeoutMs: number;
  /**
   * Static membership (KIP-345): the member's name, unique per consumer process and the same
   * across its restarts, so that one back within the session timeout takes its partitions back
   * without a rebalance. Unset: a dynamic member.
   */
  readonly groupInstanceId?: string | undefined;
  /**
   * Told the member's partitions of `topic` after each group join, and after a cooperative revoke
   * (`joined` false: the member gave some up and is rejoining), e.g. for metrics.
   */
  readonly onAssign?: ((partitions: readonly number[], joined: boolean) => void) | undefined;
}

/**
 * How often an idle consumer commits past the offsets no record shows (transaction markers,
 * aborted records; Batcher.stepOver), so that the group's lag on a quiet topic reaches 0.
 */
export const STEP_OVER_MS = 1000;
