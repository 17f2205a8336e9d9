import {
  type CommitOptionsPartition,
  Consumer,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { BatchHandler, ConsumedMessage } from '../../domain/events.ts';
import { offsetsToCommit, warnCommitFailed } from './commit-offsets.ts';
import { createConsumerLifecycle, errorOf } from './consumer-lifecycle.ts';
import type { BatchConsumer, ConsumerOptions } from './types.ts';
import { FETCH } from './types.ts';

/**
 * Group protocol shared with the librdkafka consumer (see confluent-consumer.ts).
 * Version 0 on purpose: @platformatic/kafka writes ConsumerProtocolSubscription as
 * (version, topics, userData) and nothing else, so advertising its default version 1 would
 * announce an owned_partitions field that is not there; librdkafka, when it is the group leader,
 * then fails to parse this member ("Failed to parse MemberMetadata") and leaves it without
 * partitions. Version 0 is exactly the bytes platformatic writes. "roundrobin" is the name both
 * clients know; platformatic's own leader-side assigner is round robin as well.
 */
const GROUP_PROTOCOLS = [{ name: 'roundrobin', version: 0 }];

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

function toConsumed(m: RawMessage): ConsumedMessage {
  const headers = new Map<string, string>();
  for (const [k, v] of m.headers) headers.set(k.toString(), v === undefined ? '' : v.toString());
  // Null keys/values reach us as undefined although the declared type says Buffer.
  const key = (m.key as Buffer | undefined) ?? null;
  const value = (m.value as Buffer | undefined) ?? null;
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key,
    value,
    headers,
  };
}

/**
 * Consumer-group member on @platformatic/kafka's Consumer + MessagesStream (classic protocol,
 * eager rebalancing). Records from the stream's 'data' events are gathered into batches of up to
 * batchSize records or batchWaitMs after the first one; one batch is handled at a time while the
 * next one fills (the stream is paused when it is full). After the handler resolved, the highest
 * offset + 1 of each partition still assigned is committed.
 *
 * Rebalances: platformatic rejoins by itself (no revoke callback), so on every group join we drop
 * pending records of partitions we lost, remove those partitions from a commit in flight (the
 * library may retry a commit after rejoining, with the same options object), and remember the
 * position of kept partitions to drop the records the stream re-fetches from the committed offset.
 */
export function createPlatformaticConsumer(o: ConsumerOptions, log: Logger): BatchConsumer {
  const consumer = new Consumer({
    clientId: o.clientId,
    bootstrapBrokers: [...o.brokers],
    groupId: o.groupId,
    autocommit: false,
    protocols: GROUP_PROTOCOLS,
    sessionTimeout: o.sessionTimeoutMs,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    // Also bounds how long close() waits for an in-flight fetch.
    maxWaitTime: FETCH.maxWaitMs,
    minBytes: FETCH.minBytes,
    // Up to 10 MB per fetch, all partitions of a leader in one request.
    maxBytes: 10 * 1024 * 1024,
  });

  let stream: RawStream | null = null;
  let joined = false;
  let consumeStarted: Promise<unknown> | null = null;

  /** Partitions of o.topic held since the last join. */
  let assigned = new Set<number>();
  /** Next offset to accept per kept partition (drops re-fetched records after a rejoin). */
  const positions = new Map<number, bigint>();
  let pending: ConsumedMessage[] = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let handler: BatchHandler | null = null;
  /** Offsets of the commit in flight; pruned in place when partitions are lost. */
  let committing: CommitOptionsPartition[] | null = null;

  const life = createConsumerLifecycle(log, {
    drop: () => {
      clearTimer();
      pending = [];
    },
    teardown,
  });

  const onJoin = (p: ConsumerGroupJoinPayload): void => {
    const next = new Set<number>();
    for (const a of p.assignments ?? [])
      if (a.topic === o.topic) for (const n of a.partitions) next.add(n);
    for (const n of assigned) if (!next.has(n)) positions.delete(n);
    assigned = next;
    if (pending.length > 0) {
      pending = pending.filter((m) => next.has(m.partition));
      if (pending.length === 0) clearTimer();
      flow();
    }
    if (committing !== null) {
      for (let i = committing.length - 1; i >= 0; i--) {
        const c = committing[i];
        if (c !== undefined && !next.has(c.partition)) committing.splice(i, 1);
      }
    }
    joined = true;
    log.info(
      {
        groupId: p.groupId,
        memberId: p.memberId,
        generationId: p.generationId,
        leader: p.isLeader,
        partitions: [...next],
      },
      'kafka consumer joined group',
    );
  };
  consumer.on('consumer:group:join', onJoin);
  consumer.on('consumer:group:rebalance', () => {
    joined = false;
    log.info({ groupId: o.groupId }, 'kafka consumer group rebalancing');
  });
  consumer.on('consumer:group:leave', () => {
    joined = false;
  });
  consumer.on('consumer:heartbeat:error', (p) => {
    log.warn({ err: p.error }, 'kafka consumer heartbeat failed');
  });
  // Emitted when rejoining the group failed for good; without a listener it would throw.
  consumer.on('error', (e: Error) => life.fail(e));

  /** Keeps the stream flowing while the next batch has room (it is paused when that one is full). */
  function flow(): void {
    if (!life.stopping && stream !== null && pending.length < o.batchSize && stream.isPaused())
      stream.resume();
  }

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function armTimer(): void {
    clearTimer();
    timer = setTimeout(() => {
      timer = null;
      dispatch(true);
    }, o.batchWaitMs);
  }

  function onData(m: RawMessage): void {
    if (life.stopping || m.topic !== o.topic || !assigned.has(m.partition)) return;
    const expected = positions.get(m.partition);
    if (expected !== undefined && m.offset < expected) return;
    positions.set(m.partition, m.offset + 1n);
    pending.push(toConsumed(m));
    if (pending.length === 1) armTimer();
    if (pending.length >= o.batchSize) {
      stream?.pause();
      dispatch(false);
    }
  }

  /** Starts the next batch if none is in flight and the pending one is full or timed out. */
  function dispatch(timedOut: boolean): void {
    if (life.stopping || inFlight !== null || pending.length === 0) return;
    if (!timedOut && timer !== null && pending.length < o.batchSize) return;
    const batch = pending.length > o.batchSize ? pending.slice(0, o.batchSize) : pending;
    pending = pending.length > o.batchSize ? pending.slice(o.batchSize) : [];
    clearTimer();
    if (pending.length > 0) armTimer();
    flow();
    const handle = handler;
    if (handle === null) return;
    inFlight = processBatch(handle, batch).finally(() => {
      inFlight = null;
      if (pending.length >= o.batchSize || (pending.length > 0 && timer === null)) dispatch(true);
    });
  }

  async function processBatch(
    handle: BatchHandler,
    batch: readonly ConsumedMessage[],
  ): Promise<void> {
    try {
      await handle(batch);
    } catch (e: unknown) {
      life.fail(errorOf(e));
      return;
    }
    await commit(batch);
  }

  async function commit(batch: readonly ConsumedMessage[]): Promise<void> {
    const offsets: CommitOptionsPartition[] = [];
    for (const [partition, offset] of offsetsToCommit(batch, assigned))
      offsets.push({ topic: o.topic, partition, offset, leaderEpoch: -1 });
    if (offsets.length === 0) return;
    committing = offsets;
    try {
      await consumer.commit({ offsets });
    } catch (e: unknown) {
      warnCommitFailed(log, errorOf(e), offsets);
    } finally {
      committing = null;
    }
  }

  async function teardown(graceful: boolean): Promise<void> {
    joined = false;
    if (consumeStarted !== null) await consumeStarted.catch(() => undefined);
    if (graceful && inFlight !== null) await inFlight;
    try {
      if (stream !== null) await stream.close();
    } catch (e: unknown) {
      log.warn({ err: errorOf(e) }, 'kafka stream close failed');
    }
    try {
      // force: closes any stream left, then LeaveGroup and closes the connections.
      await consumer.close(true);
    } catch (e: unknown) {
      log.warn({ err: errorOf(e) }, 'kafka consumer close failed');
    }
  }

  return {
    client: 'platformatic',

    run(handle: BatchHandler): Promise<void> {
      return life.run(() => {
        handler = handle;
        const starting = consumer.consume({
          topics: [o.topic],
          mode: 'committed',
          // A group without committed offsets starts from the beginning of the topic.
          fallbackMode: 'earliest',
          autocommit: false,
          highWaterMark: Math.max(1024, o.batchSize * 2),
        });
        consumeStarted = starting;
        starting.then(
          (s) => {
            consumeStarted = null;
            stream = s;
            s.on('data', onData);
            s.on('error', (e: Error) => life.fail(e));
            if (life.stopping) s.pause();
          },
          (e: unknown) => {
            consumeStarted = null;
            life.fail(errorOf(e));
          },
        );
      });
    },

    close: life.close,

    isJoined(): boolean {
      return joined && !life.stopping && consumer.isActive();
    },
  };
}
