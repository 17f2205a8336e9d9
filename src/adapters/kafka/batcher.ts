import type { BatchHandler, ConsumedMessage } from '../../domain/events.ts';
import { offsetsToCommit } from './commit-offsets.ts';

export interface BatcherOptions {
  /** A batch is handed out when it holds this many records... */
  readonly batchSize: number;
  /** ...or this many milliseconds after its first record arrived. */
  readonly batchWaitMs: number;
  /**
   * Commits, per partition, the next offset to read. Resolves once the commit is done, whether it
   * succeeded or not: a failed commit is not fatal (the records come again, at least once, or a
   * later batch commits further). A rejection stops the batcher like a handler's.
   */
  readonly commit: (offsets: ReadonlyMap<number, bigint>) => Promise<void>;
  /** The handler (or commit) rejected: the batcher has stopped and the consumer stops with it. */
  readonly fail: (err: unknown) => void;
  /** For clients that push records: the forming batch is full, stop delivering. */
  readonly pause?: () => void;
  /** For clients that push records: the forming batch has room again. */
  readonly resume?: () => void;
}

/**
 * Batching, commit bookkeeping and rebalance handling of a consumer-group member, without a Kafka
 * client: the adapter feeds it the records its client delivers and the partitions it is given.
 */
export interface Batcher {
  /** Hands batches to `handle` from now on; records pushed before are ignored. */
  start(handle: BatchHandler): void;
  /**
   * Takes a record unless stopped, revoking, its partition is not assigned, or it is below the
   * partition's next expected offset (a re-delivery after a rejoin).
   */
  push(record: ConsumedMessage): void;
  /** How many more records the forming batch takes (for clients that pull records). */
  room(): number;
  /** Milliseconds until the forming batch is due; null while no record waits. */
  dueInMs(): number | null;
  /**
   * The member's partitions now, the whole set. Waiting records of partitions no longer held are
   * dropped, and a batch in flight commits only those still held.
   */
  assign(partitions: Iterable<number>): void;
  /** The partitions held now. */
  held(): ReadonlySet<number>;
  /**
   * The client asks for partitions back: `only` these (cooperative rebalancing), or every one.
   * Their waiting records are dropped (not committed, the next owner reads them), the batch in
   * hand finishes and commits (nothing of them when `lost`: others may own them already), then
   * `release` hands them back. Other partitions' records keep flowing. idle() waits for all of it.
   */
  revoke(lost: boolean, release: () => void, only?: Iterable<number>): void;
  /** Resolves once no batch is in flight (its commit included) and no revoke is under way. */
  idle(): Promise<void>;
  /**
   * The client has delivered every record below these offsets (per partition) and read past
   * offsets no record shows: transaction markers and aborted records. While nothing waits or is
   * in flight, a held partition whose offset lies beyond its last delivered record is committed
   * there, so that an idle group's committed offsets reach the end of the log (a lag of 0, not 1
   * per marker), also when no record came since the partition was assigned (a rebalance after the
   * last record). The client vouches that each offset was reached reading from this assignment's
   * start (the committed offset), never a former assignment's position: such a commit could skip
   * records. One not beyond the last delivered record or stepped-over offset is ignored.
   */
  stepOver(delivered: ReadonlyMap<number, bigint>): void;
  /** Takes no more records and starts no more batches; the batch in flight finishes. */
  stop(): void;
}

/** One batch handled at a time, while the next one forms; see Batcher. */
export function createBatcher(o: BatcherOptions): Batcher {
  let handle: BatchHandler | null = null;
  let stopped = false;
  let assigned = new Set<number>();
  /** Next offset to accept per held partition. */
  const positions = new Map<number, bigint>();
  let pending: ConsumedMessage[] = [];
  /** Armed at a batch's first record; null with records waiting means the batch is due. */
  let timer: NodeJS.Timeout | null = null;
  let dueAt = 0;
  let inFlight: Promise<void> | null = null;
  let revoking: Promise<void> | null = null;
  /** The partitions of the revoke under way: their records are no longer taken. */
  let revoked = new Set<number>();

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function armTimer(): void {
    clearTimer();
    dueAt = Date.now() + o.batchWaitMs;
    timer = setTimeout(() => {
      timer = null;
      dispatch();
    }, o.batchWaitMs);
  }

  function drop(): void {
    clearTimer();
    pending = [];
  }

  function flow(): void {
    if (!stopped && pending.length < o.batchSize) o.resume?.();
  }

  /** Starts the next batch unless one is in flight; called when one is full or due. */
  function dispatch(): void {
    if (handle === null || stopped || inFlight !== null || pending.length === 0) return;
    // More than a batch waits when records arrived after the client was told to pause.
    const batch = pending.length > o.batchSize ? pending.slice(0, o.batchSize) : pending;
    pending = pending.length > o.batchSize ? pending.slice(o.batchSize) : [];
    clearTimer();
    if (pending.length > 0) armTimer();
    flow();
    track(handleAndCommit(handle, batch));
  }

  /** Holds the next batch (and a revoke) until `work` is done, then dispatches what is due. */
  function track(work: Promise<void>): void {
    inFlight = work.finally(() => {
      inFlight = null;
      if (pending.length >= o.batchSize || (pending.length > 0 && timer === null)) dispatch();
    });
  }

  /** Never rejects: a failure stops the batcher and goes to o.fail. */
  async function commitOnly(offsets: ReadonlyMap<number, bigint>): Promise<void> {
    try {
      await o.commit(offsets);
    } catch (e: unknown) {
      stop();
      o.fail(e);
    }
  }

  /** Never rejects: a failure stops the batcher and goes to o.fail. */
  async function handleAndCommit(
    handler: BatchHandler,
    batch: readonly ConsumedMessage[],
  ): Promise<void> {
    try {
      await handler(batch);
      // The partitions held now: one lost while the handler ran is its new owner's to commit.
      const offsets = offsetsToCommit(batch, assigned);
      if (offsets.size > 0) await o.commit(offsets);
    } catch (e: unknown) {
      stop();
      o.fail(e);
    }
  }

  function stop(): void {
    stopped = true;
    drop();
  }

  return {
    start(h) {
      handle = h;
    },

    push(record) {
      if (handle === null || stopped || revoked.has(record.partition)) return;
      if (!assigned.has(record.partition)) return;
      const expected = positions.get(record.partition);
      if (expected !== undefined && record.offset < expected) return;
      positions.set(record.partition, record.offset + 1n);
      pending.push(record);
      if (pending.length === 1) armTimer();
      if (pending.length >= o.batchSize) {
        o.pause?.();
        dispatch();
      }
    },

    room: () => Math.max(0, o.batchSize - pending.length),

    dueInMs: () => (pending.length === 0 ? null : Math.max(0, dueAt - Date.now())),

    assign(partitions) {
      const next = new Set(partitions);
      for (const n of assigned) if (!next.has(n)) positions.delete(n);
      assigned = next;
      if (pending.length === 0) return;
      pending = pending.filter((m) => next.has(m.partition));
      if (pending.length === 0) clearTimer();
      flow();
    },

    held: () => assigned,

    revoke(lost, release, only) {
      const gone = new Set(only ?? assigned);
      const without = (from: ReadonlySet<number>) => new Set([...from].filter((n) => !gone.has(n)));
      pending = pending.filter((m) => !gone.has(m.partition));
      if (pending.length === 0) clearTimer();
      // What was not handed out is read again from the committed offsets.
      for (const n of gone) positions.delete(n);
      if (lost) assigned = without(assigned);
      revoked = new Set([...revoked, ...gone]);
      const wait = inFlight;
      const done = (async () => {
        if (wait !== null) await wait;
        assigned = without(assigned);
        release();
      })().catch((e: unknown) => {
        stop();
        o.fail(e);
      });
      revoking = done;
      void done.finally(() => {
        if (revoking !== done) return;
        revoking = null;
        revoked = new Set();
      });
    },

    stepOver(delivered) {
      const busy = revoking !== null || inFlight !== null || pending.length > 0;
      if (handle === null || stopped || busy) return;
      const offsets = new Map<number, bigint>();
      for (const [partition, offset] of delivered) {
        const expected = positions.get(partition);
        if (assigned.has(partition) && (expected === undefined || offset > expected))
          offsets.set(partition, offset);
      }
      if (offsets.size === 0) return;
      // Anything below is a re-delivery from now on, as for records handled.
      for (const [partition, offset] of offsets) positions.set(partition, offset);
      track(commitOnly(offsets));
    },

    async idle() {
      while (inFlight !== null || revoking !== null) await (revoking ?? inFlight);
    },

    stop,
  };
}
