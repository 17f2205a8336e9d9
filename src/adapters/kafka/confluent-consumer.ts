import { setTimeout as sleep } from 'node:timers/promises';
import type {
  LibrdKafkaError,
  Message,
  TopicPartition,
  TopicPartitionOffset,
} from '@confluentinc/kafka-javascript';
import { RdKafka } from '@confluentinc/kafka-javascript';
import type { Logger } from 'pino';
import type { BatchHandler, ConsumedMessage } from '../../domain/events.ts';
import { createBatcher } from './batcher.ts';
import { warnCommitFailed } from './commit-offsets.ts';
import { librdkafkaConnection } from './connection.ts';
import { createConsumerLifecycle, errorOf } from './consumer-lifecycle.ts';
import {
  assignmentLost,
  commitAwaited,
  incrementalAssign,
  incrementalUnassign,
  isCooperative,
  waitForFirstMessageOnly,
} from './shims/confluent-internals.ts';
import type { BatchConsumer, ConsumerOptions } from './types.ts';
import { FETCH, STEP_OVER_MS } from './types.ts';

const ERR_ASSIGN = RdKafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
const ERR_REVOKE = RdKafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS;
/** How long an idle consume(n) waits for a first record; bounds how long close() waits. */
const IDLE_POLL_MS = 200;

function toConsumed(m: Message): ConsumedMessage {
  const headers = new Map<string, string>();
  for (const h of m.headers ?? [])
    for (const [k, v] of Object.entries(h)) headers.set(k, v.toString());
  const key =
    m.key === null || m.key === undefined
      ? null
      : typeof m.key === 'string'
        ? Buffer.from(m.key)
        : m.key;
  return {
    topic: m.topic,
    partition: m.partition,
    offset: BigInt(m.offset),
    timestamp: BigInt(m.timestamp ?? 0),
    key,
    value: m.value,
    headers,
  };
}

/**
 * Consumer-group member on @confluentinc/kafka-javascript's node-rdkafka-style KafkaConsumer
 * (librdkafka, classic protocol, "cooperative-sticky" assignment shared with the platformatic
 * consumer). A loop pulls records into a Batcher (batcher.ts) while no batch is in flight.
 */
export function createConfluentConsumer(o: ConsumerOptions, log: Logger): BatchConsumer {
  // KafkaConsumer.consume(n) rather than KafkaJS eachBatch: it returns up to n records across all
  // assigned partitions from librdkafka's prefetch queue (eachBatch hands out per-partition batches
  // capped by js.consumer.max.batch.size), and commitCb() gives an explicit, awaited commit.
  const consumer = new RdKafka.KafkaConsumer(
    {
      ...librdkafkaConnection(o.kafka),
      'client.id': o.clientId,
      'group.id': o.groupId,
      'group.protocol': 'classic',
      // Cooperative, as the platformatic consumer's: a rebalance moves only what changes owner.
      'partition.assignment.strategy': 'cooperative-sticky',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'session.timeout.ms': o.sessionTimeoutMs,
      // A static member does not leave the group when it closes: a restart keeps its partitions.
      ...(o.groupInstanceId === undefined ? {} : { 'group.instance.id': o.groupInstanceId }),
      'heartbeat.interval.ms': 3_000,
      'max.poll.interval.ms': 300_000,
      'fetch.wait.max.ms': o.fetchWaitMs ?? FETCH.maxWaitMs,
      'fetch.min.bytes': FETCH.minBytes,
      // Committed records only: a REST batch is stored whole or not at all (default, pinned).
      'isolation.level': 'read_committed',
      rebalance_cb: onRebalance,
    },
    // A group without committed offsets starts from the beginning of the topic.
    { 'auto.offset.reset': 'earliest' },
  );
  waitForFirstMessageOnly(consumer);

  let joined = false;
  let loopDone: Promise<void> | null = null;
  let steppedAt = 0;
  let connecting: Promise<void> | null = null;

  const batcher = createBatcher({
    batchSize: o.batchSize,
    batchWaitMs: o.batchWaitMs,
    commit: async (offsets) => {
      const toppars: TopicPartitionOffset[] = [];
      for (const [partition, offset] of offsets)
        toppars.push({ topic: o.topic, partition, offset: Number(offset) });
      const err = await commitAwaited(consumer, toppars);
      if (err) warnCommitFailed(log, errorOf(err), offsets);
    },
    fail: (e) => life.fail(errorOf(e)),
  });
  const life = createConsumerLifecycle(log, { drop: batcher.stop, teardown });

  consumer.on('event.error', (e: LibrdKafkaError) => {
    if (e.isFatal === true) life.fail(errorOf(e));
    else log.warn({ err: errorOf(e) }, 'librdkafka error');
  });

  // librdkafka calls this from consume()/close(); it waits (the group does not proceed) until we
  // assign or unassign, which lets a revoke finish and commit the batch in hand first. Under the
  // cooperative protocol each call carries only the partitions that move; the others keep going.
  function onRebalance(err: LibrdKafkaError | undefined, assignment: TopicPartition[]): void {
    const code = err?.code;
    const cooperative = isCooperative(consumer);
    const moving = assignment.filter((tp) => tp.topic === o.topic).map((tp) => tp.partition);
    if (code === ERR_ASSIGN) {
      const partitions = cooperative ? [...batcher.held(), ...moving] : moving;
      batcher.assign(partitions);
      o.onAssign?.(partitions, true);
      try {
        if (cooperative) incrementalAssign(consumer, assignment);
        else consumer.assign(assignment);
        joined = true;
        log.info({ groupId: o.groupId, partitions, added: moving }, 'kafka consumer joined group');
      } catch (e: unknown) {
        life.fail(errorOf(e));
      }
      return;
    }
    if (code === ERR_REVOKE) {
      // A cooperative revoke leaves the member in the group with the partitions it keeps.
      if (!cooperative) joined = false;
      // Lost (session timed out): others may own the partitions already; commit nothing of them.
      const lost = assignmentLost(consumer);
      const release = () => {
        try {
          if (cooperative) incrementalUnassign(consumer, assignment);
          else consumer.unassign();
        } catch (e: unknown) {
          if (!life.stopping) log.warn({ err: errorOf(e) }, 'kafka unassign failed');
        }
        // A cooperative revoke leaves the member with what it keeps: its metrics say so now.
        if (cooperative) o.onAssign?.([...batcher.held()], false);
        log.info(
          { groupId: o.groupId, lost, revoked: moving },
          'kafka consumer partitions revoked',
        );
      };
      batcher.revoke(lost, release, cooperative ? moving : undefined);
      return;
    }
    log.error(
      { err: err === undefined ? undefined : errorOf(err) },
      'unexpected kafka rebalance event',
    );
  }

  function consumeN(n: number, timeoutMs: number): Promise<Message[]> {
    consumer.setDefaultConsumeTimeout(Math.max(1, Math.round(timeoutMs)));
    return new Promise((resolve, reject) => {
      consumer.consume(n, (err: LibrdKafkaError | null, messages: Message[]) => {
        if (err) reject(errorOf(err));
        else resolve(messages);
      });
    });
  }

  async function loop(): Promise<void> {
    while (!life.stopping) {
      // Pulled only between batches: the batch in hand (and a revoke) finishes first.
      await batcher.idle();
      if (life.stopping) break;
      const due = batcher.dueInMs();
      let messages: Message[];
      try {
        messages = await consumeN(batcher.room(), due === null ? IDLE_POLL_MS : Math.max(1, due));
      } catch (e: unknown) {
        const err = errorOf(e) as Error & { isFatal?: boolean };
        if (life.stopping) break;
        if (err.isFatal === true) throw err;
        log.warn({ err }, 'kafka consume failed');
        await sleep(200);
        continue;
      }
      if (life.stopping) break;
      for (const m of messages) if (m.topic === o.topic) batcher.push(toConsumed(m));
      if (messages.length === 0 && Date.now() - steppedAt >= STEP_OVER_MS) {
        steppedAt = Date.now();
        stepOver();
      }
    }
  }

  /**
   * librdkafka's position (the application's next offset) moves past transaction markers and
   * aborted records; here, between two consume() calls, every record below it was pushed.
   */
  function stepOver(): void {
    if (!joined) return;
    const delivered = new Map<number, bigint>();
    try {
      const held = consumer.assignments().filter((a) => a.topic === o.topic);
      for (const p of consumer.position(held))
        if (p.offset >= 0) delivered.set(p.partition, BigInt(p.offset));
    } catch (e: unknown) {
      log.warn({ err: errorOf(e) }, 'kafka position failed');
      return;
    }
    batcher.stepOver(delivered);
  }

  async function disconnect(): Promise<void> {
    joined = false;
    if (!consumer.isConnected()) return;
    try {
      consumer.unsubscribe();
    } catch (e: unknown) {
      log.warn({ err: errorOf(e) }, 'kafka unsubscribe failed');
    }
    // close(): revokes (our callback unassigns at once: nothing is in flight), sends LeaveGroup.
    await new Promise<void>((resolve) => {
      consumer.disconnect((err: unknown) => {
        if (err) log.warn({ err: errorOf(err) }, 'kafka disconnect failed');
        resolve();
      });
    });
  }

  /** Close and failure alike: the batch in hand finishes and commits before the disconnect. */
  async function teardown(): Promise<void> {
    if (connecting !== null) await connecting;
    if (loopDone !== null) await loopDone.catch(() => undefined);
    await batcher.idle();
    await disconnect();
  }

  return {
    client: 'confluent',

    run(handle: BatchHandler): Promise<void> {
      return life.run(() => {
        batcher.start(handle);
        connecting = new Promise<void>((connected) => {
          consumer.connect({}, (err: LibrdKafkaError | null) => {
            connected();
            if (err) {
              life.fail(errorOf(err));
              return;
            }
            if (life.stopping) return; // close() was called meanwhile: it disconnects
            try {
              consumer.subscribe([o.topic]);
            } catch (e: unknown) {
              life.fail(errorOf(e));
              return;
            }
            const done = loop();
            loopDone = done;
            done.catch((e: unknown) => life.fail(errorOf(e)));
          });
        });
      });
    },

    close: life.close,

    isJoined(): boolean {
      return joined && !life.stopping;
    },
  };
}
