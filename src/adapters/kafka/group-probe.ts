import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { type KafkaConnection, platformaticConnection } from './connection.ts';

export interface GroupState {
  readonly state: string;
  readonly members: number;
  /** The address each member connected from, as the broker saw it (one entry per member). */
  readonly hosts: readonly string[];
  /** How many partitions each member holds, over all topics (one entry per member). */
  readonly assigned: readonly number[];
}

/** Where a consumer group stands on one partition. */
export interface PartitionProgress {
  readonly partition: number;
  /** The first offset still in the log (0 until retention deletes records). */
  readonly start: bigint;
  /** The offset the next record will get: how many records the partition ever held. */
  readonly end: bigint;
  /** The offset the group will read next, or null when it never committed one here. */
  readonly committed: bigint | null;
}

/** Asks the cluster about a consumer group; answering at all also proves Kafka is reachable. */
export interface GroupProbe {
  describe(groupId: string): Promise<GroupState>;
  /** The log bounds of every partition of `topic` and the offset `groupId` committed on each. */
  progress(groupId: string, topic: string): Promise<PartitionProgress[]>;
  /** The end offset of every partition of `topic`, by partition. */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  close(): Promise<void>;
}

const CLOSE_WAIT_MS = 2000;

// ListOffsets asks for a time; these two special times mean "log start" and "log end".
const EARLIEST = -2n;
const LATEST = -1n;

export function createGroupProbe(
  kafka: KafkaConnection,
  clientId: string,
  timeoutMs = 3000,
): GroupProbe {
  const admin = new Admin({
    clientId,
    ...platformaticConnection(kafka),
    timeout: timeoutMs,
    retries: 0,
  });

  async function partitionsOf(topic: string): Promise<number[]> {
    const { topics } = await admin.metadata({ topics: [topic] });
    const partitions = topics.get(topic)?.partitions.length ?? 0;
    return Array.from({ length: partitions }, (_, i) => i);
  }

  async function offsetsAt(
    topic: string,
    partitions: readonly number[],
    timestamp: bigint,
  ): Promise<Map<number, bigint>> {
    if (partitions.length === 0) return new Map();
    const listed = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
        },
      ],
    });
    return new Map(
      listed.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p.offset] as const),
    );
  }

  return {
    async describe(groupId) {
      const groups = await admin.describeGroups({ groups: [groupId] });
      const group = groups.get(groupId);
      const members = [...(group?.members.values() ?? [])];
      return {
        state: String(group?.state ?? 'Unknown'),
        members: members.length,
        // The broker writes the address as Java's InetAddress prints it: "/10.0.0.7".
        hosts: members.map((m) => m.clientHost.replace(/^\//, '')),
        assigned: members.map((m) =>
          [...(m.assignments?.values() ?? [])].reduce((n, a) => n + a.partitions.length, 0),
        ),
      };
    },

    async progress(groupId, topic) {
      const partitions = await partitionsOf(topic);
      const [starts, ends, groups] = await Promise.all([
        offsetsAt(topic, partitions, EARLIEST),
        offsetsAt(topic, partitions, LATEST),
        admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }],
        }),
      ]);
      const committed = new Map(
        groups
          .flatMap((g) => g.topics)
          .filter((t) => t.name === topic)
          .flatMap((t) => t.partitions)
          .map((p) => [p.partitionIndex, p.committedOffset] as const),
      );
      return partitions.map((partition) => {
        const offset = committed.get(partition);
        return {
          partition,
          start: starts.get(partition) ?? 0n,
          end: ends.get(partition) ?? 0n,
          // The broker answers -1 for a partition the group has no offset on.
          committed: offset === undefined || offset < 0n ? null : offset,
        };
      });
    },

    async endOffsets(topic) {
      return offsetsAt(topic, await partitionsOf(topic), LATEST);
    },

    // Admin.close() waits for each socket's 'close', which a broker that died may never send:
    // shutdown must not wait on it.
    close: () =>
      Promise.race([
        admin.close().catch(() => undefined),
        sleep(CLOSE_WAIT_MS, undefined, { ref: false }),
      ]),
  };
}
