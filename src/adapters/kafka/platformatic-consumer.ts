import {
  Consumer,
  type ConsumerGroupJoinPayload,
  FetchIsolationLevels,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { BatchHandler, ConsumedMessage } from '../../domain/events.ts';
import { createBatcher } from './batcher.ts';
import { warnCommitFailed } from './commit-offsets.ts';
import { platformaticConnection } from './connection.ts';
import { createConsumerLifecycle, errorOf } from './consumer-lifecycle.ts';
import { prunableCommits } from './shims/platformatic-commit.ts';
import { useBrokerTimestamps } from './shims/platformatic-log-append-time.ts';
import type { BatchConsumer, ConsumerOptions } from './types.ts';
import { FETCH, STEP_OVER_MS } from './types.ts';

/**
 * Group protocol shared with the librdkafka consumer (see confluent-consumer.ts): cooperative,
 * so a rebalance moves only the partitions that change owner and every other member keeps
 * reading. Version 3 of ConsumerProtocolSubscription (owned partitions, generation, rack), as
 * librdkafka and Java's client write it; whichever member leads runs its cooperative-sticky
 * assignor over both clients' subscriptions.
 */
const GROUP_PROTOCOLS = [{ name: 'cooperative-sticky', version: 3 }];

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** Whether the stream is resetting its offsets after a join; true without the patch that tells. */
const refreshing = (s: RawStream): boolean => Reflect.get(s, 'refreshingOffsets') !== false;

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
 * cooperative rebalancing). The stream's 'data' events feed a Batcher (batcher.ts): one batch is
 * handled at a time while the next one fills, and the stream is paused while that one is full.
 *
 * Rebalances: platformatic rejoins by itself (no revoke callback). When it gives partitions up
 * (the first round of a cooperative rebalance) and at every group join, the Batcher is handed the
 * partitions now held (it drops waiting records of lost ones, and the re-fetched records of kept
 * ones), and lost partitions are removed from a commit in flight, which the library may retry
 * after rejoining (shims/platformatic-commit.ts).
 */
export function createPlatformaticConsumer(o: ConsumerOptions, log: Logger): BatchConsumer {
  const consumer = new Consumer({
    clientId: o.clientId,
    ...platformaticConnection(o.kafka),
    groupId: o.groupId,
    autocommit: false,
    protocols: GROUP_PROTOCOLS,
    sessionTimeout: o.sessionTimeoutMs,
    ...(o.groupInstanceId === undefined ? {} : { groupInstanceId: o.groupInstanceId }),
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    // A second apart, long enough to ride out a group coordinator or partition leader moving to
    // another broker of a cluster (the dead broker's session, 9 s, then an election: up to 19 s
    // seen on a busy 2-core machine); the library's 3 gave up within 4 s (NOT_COORDINATOR).
    retries: 30,
    retryDelay: 1_000,
    // Also bounds how long close() waits for an in-flight fetch.
    maxWaitTime: o.fetchWaitMs ?? FETCH.maxWaitMs,
    minBytes: FETCH.minBytes,
    // Up to 10 MB per fetch, all partitions of a leader in one request.
    maxBytes: 10 * 1024 * 1024,
    // Committed records only: a REST batch is stored whole or not at all (default, pinned).
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const commits = prunableCommits(consumer, o.topic);
  useBrokerTimestamps();

  let stream: RawStream | null = null;
  let joined = false;
  let consumeStarted: Promise<unknown> | null = null;

  const batcher = createBatcher({
    batchSize: o.batchSize,
    batchWaitMs: o.batchWaitMs,
    commit: async (offsets) => {
      try {
        await commits.commit(offsets);
      } catch (e: unknown) {
        warnCommitFailed(log, errorOf(e), offsets);
      }
    },
    fail: (e) => life.fail(errorOf(e)),
    pause: () => stream?.pause(),
    resume: () => {
      if (stream?.isPaused()) stream.resume();
    },
  });
  const life = createConsumerLifecycle(log, { drop: batcher.stop, teardown });

  /** The partitions of the topic among a member's assignments. */
  const ours = (assignments: ConsumerGroupJoinPayload['assignments'] | null | undefined) => {
    const held = new Set<number>();
    for (const a of assignments ?? [])
      if (a.topic === o.topic) for (const n of a.partitions) held.add(n);
    return held;
  };
  /**
   * The generation of the join that last gave each partition to this member. The join fetches a
   * partition it adds from its committed offset; records of it fetched before (the stream may
   * still hold some from before a revoke) would set the Batcher's position past that offset, and
   * the records between would be skipped as repeats.
   */
  const addedAt = new Map<number, number>();
  /** The partitions held now, for the Batcher, the commit in flight and the metrics. */
  const hold = (partitions: ReadonlySet<number>, join: boolean): void => {
    batcher.assign(partitions);
    commits.keepOnly(partitions);
    o.onAssign?.([...partitions], join);
  };
  const onJoin = (p: ConsumerGroupJoinPayload): void => {
    const next = ours(p.assignments);
    const generation = p.generationId;
    if (generation !== undefined)
      for (const n of next) if (!batcher.held().has(n)) addedAt.set(n, generation);
    hold(next, true);
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
    // A cooperative revoke: the library already holds only the partitions it keeps, and goes on
    // reading them while it rejoins; records of the given-up ones are their next owner's.
    if (consumer.assignments !== null) hold(ours(consumer.assignments), false);
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

  function onData(m: RawMessage): void {
    if (m.topic !== o.topic) return;
    const since = addedAt.get(m.partition);
    const fetchedAt = (m.metadata.consumer as { generationId?: unknown } | undefined)?.generationId;
    if (since !== undefined && typeof fetchedAt === 'number' && fetchedAt < since) return;
    batcher.push(toConsumed(m));
  }

  /**
   * The stream's next fetch offsets move past transaction markers and aborted records, which no
   * message shows. A fetch response moves them and pushes its records in one synchronous step, so
   * while the stream buffers nothing, every record below them has reached the batcher. A join
   * resets them to the committed offsets; until that is done they may be a former assignment's
   * (a patch in infra/patch-dependencies.mjs says when, and drops fetches sent before the join).
   */
  const stepping = setInterval(() => {
    const s = stream;
    if (s === null || !joined || life.stopping || s.readableLength > 0 || refreshing(s)) return;
    const delivered = new Map<number, bigint>();
    const prefix = `${o.topic}:`;
    for (const [key, offset] of s.offsetsToFetch)
      if (key.startsWith(prefix)) delivered.set(Number(key.slice(prefix.length)), offset);
    batcher.stepOver(delivered);
  }, STEP_OVER_MS);
  stepping.unref();

  async function teardown(graceful: boolean): Promise<void> {
    joined = false;
    clearInterval(stepping);
    if (consumeStarted !== null) await consumeStarted.catch(() => undefined);
    if (graceful) await batcher.idle();
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
        batcher.start(handle);
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
