import type {
  LibrdKafkaError,
  Message,
  TopicPartition,
  TopicPartitionOffset,
} from '@confluentinc/kafka-javascript';
import { RdKafka } from '@confluentinc/kafka-javascript';
import type { Logger } from 'pino';
import type { BatchHandler, ConsumedMessage } from '../../domain/events.ts';
import { offsetsToCommit, warnCommitFailed } from './commit-offsets.ts';
import { createConsumerLifecycle, errorOf } from './consumer-lifecycle.ts';
import type { BatchConsumer, ConsumerOptions } from './types.ts';
import { FETCH } from './types.ts';

/** Methods the JS wrapper has (lib/kafka-consumer.js) but types/rdkafka.d.ts does not declare. */
interface RdConsumerExtras {
  commitCb(
    toppars: TopicPartitionOffset[] | null,
    cb: (err: LibrdKafkaError | null) => void,
  ): unknown;
  assignmentLost(): boolean;
  /** After the first message, consume(n) only takes what is already fetched (1 ms waits). */
  setDefaultIsTimeoutOnlyForFirstMessage?(value: boolean): void;
}
type RdConsumer = RdKafka.KafkaConsumer & RdConsumerExtras;

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
 * (librdkafka, classic protocol, eager "roundrobin" assignment shared with the platformatic
 * consumer).
 */
export function createConfluentConsumer(o: ConsumerOptions, log: Logger): BatchConsumer {
  // KafkaConsumer.consume(n) rather than KafkaJS eachBatch: it returns up to n records across all
  // assigned partitions from librdkafka's prefetch queue (eachBatch hands out per-partition batches
  // capped by js.consumer.max.batch.size), and commitCb() gives an explicit, awaited commit.
  const consumer = new RdKafka.KafkaConsumer(
    {
      'bootstrap.servers': o.brokers.join(','),
      'client.id': o.clientId,
      'group.id': o.groupId,
      'group.protocol': 'classic',
      // The one strategy @platformatic/kafka offers too (its group protocol name is 'roundrobin').
      'partition.assignment.strategy': 'roundrobin',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'session.timeout.ms': o.sessionTimeoutMs,
      'heartbeat.interval.ms': 3_000,
      'max.poll.interval.ms': 300_000,
      'fetch.wait.max.ms': FETCH.maxWaitMs,
      'fetch.min.bytes': FETCH.minBytes,
      rebalance_cb: onRebalance,
    },
    // A group without committed offsets starts from the beginning of the topic.
    { 'auto.offset.reset': 'earliest' },
  ) as RdConsumer;
  consumer.setDefaultIsTimeoutOnlyForFirstMessage?.(true);

  let joined = false;
  let loopDone: Promise<void> | null = null;
  let connecting: Promise<void> | null = null;

  /** Partitions of o.topic assigned to us (eager protocol: the whole set changes at once). */
  let assigned = new Set<number>();
  let revoking: Promise<void> | null = null;
  let pending: ConsumedMessage[] = [];
  let deadline = 0;
  let inFlight: Promise<void> | null = null;

  const life = createConsumerLifecycle(log, {
    drop: () => {
      pending = [];
    },
    teardown,
  });

  consumer.on('event.error', (e: LibrdKafkaError) => {
    if (e.isFatal === true) life.fail(errorOf(e));
    else log.warn({ err: errorOf(e) }, 'librdkafka error');
  });

  // librdkafka calls this from consume()/close(); it waits (the group does not proceed) until we
  // call assign()/unassign(), which lets a revoke finish and commit the batch in hand first.
  function onRebalance(err: LibrdKafkaError | undefined, assignment: TopicPartition[]): void {
    const code = err?.code;
    if (code === ERR_ASSIGN) {
      assigned = new Set(assignment.filter((tp) => tp.topic === o.topic).map((tp) => tp.partition));
      try {
        consumer.assign(assignment);
        joined = true;
        log.info({ groupId: o.groupId, partitions: [...assigned] }, 'kafka consumer joined group');
      } catch (e: unknown) {
        life.fail(errorOf(e));
      }
      return;
    }
    if (code === ERR_REVOKE) {
      joined = false;
      // Not handed out yet, not committed: the next owner reads them.
      pending = [];
      let lost = false;
      try {
        lost = consumer.assignmentLost();
      } catch {
        lost = false;
      }
      // Lost (session timed out): others may own the partitions already; commit nothing.
      if (lost) assigned = new Set();
      const wait = inFlight;
      const done = (async () => {
        if (wait !== null) await wait.catch(() => undefined);
        assigned = new Set();
        try {
          consumer.unassign();
        } catch (e: unknown) {
          if (!life.stopping) log.warn({ err: errorOf(e) }, 'kafka unassign failed');
        }
        log.info({ groupId: o.groupId, lost }, 'kafka consumer partitions revoked');
      })();
      revoking = done;
      void done.finally(() => {
        if (revoking === done) revoking = null;
      });
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

  function commit(batch: readonly ConsumedMessage[]): Promise<void> {
    const toppars: TopicPartitionOffset[] = [];
    for (const [partition, offset] of offsetsToCommit(batch, assigned))
      toppars.push({ topic: o.topic, partition, offset: Number(offset) });
    if (toppars.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      consumer.commitCb(toppars, (err) => {
        if (err) warnCommitFailed(log, errorOf(err), toppars);
        resolve();
      });
    });
  }

  async function processBatch(
    handle: BatchHandler,
    batch: readonly ConsumedMessage[],
  ): Promise<void> {
    await handle(batch);
    await commit(batch);
  }

  async function loop(handle: BatchHandler): Promise<void> {
    while (!life.stopping) {
      if (revoking !== null) {
        await revoking;
        continue;
      }
      const now = Date.now();
      const wait = pending.length === 0 ? IDLE_POLL_MS : Math.max(1, deadline - now);
      let messages: Message[];
      try {
        messages = await consumeN(o.batchSize - pending.length, wait);
      } catch (e: unknown) {
        const err = errorOf(e) as Error & { isFatal?: boolean };
        if (life.stopping) break;
        if (err.isFatal === true) throw err;
        log.warn({ err }, 'kafka consume failed');
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (life.stopping) break;
      for (const m of messages) {
        if (revoking !== null || m.topic !== o.topic || !assigned.has(m.partition)) continue;
        if (pending.length === 0) deadline = Date.now() + o.batchWaitMs;
        pending.push(toConsumed(m));
      }
      if (pending.length === 0 || (pending.length < o.batchSize && Date.now() < deadline)) continue;
      const batch = pending;
      pending = [];
      const current = processBatch(handle, batch);
      inFlight = current;
      try {
        await current;
      } finally {
        inFlight = null;
      }
    }
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

  /** Close and failure alike: the loop ends after the batch in hand finished and committed. */
  async function teardown(): Promise<void> {
    if (connecting !== null) await connecting;
    if (loopDone !== null) await loopDone.catch(() => undefined);
    await disconnect();
  }

  return {
    client: 'confluent',

    run(handle: BatchHandler): Promise<void> {
      return life.run(() => {
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
            const done = loop(handle);
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
