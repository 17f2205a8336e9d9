import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  ConfigResourceTypes,
  findErrorBy,
  IncrementalAlterConfigOperationTypes,
} from '@platformatic/kafka';
import { type KafkaConnection, platformaticConnection } from './connection.ts';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Topic configuration the topic must have, whether created now or before. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * The album topic's records carry the time the broker appended them, whatever time the producer
 * set: changes of one album are ordered by the broker's clock and offsets (domain/batch.ts),
 * never by a producer's, whose skew could otherwise hide later changes.
 */
export const BROKER_TIME = { 'message.timestamp.type': 'LogAppendTime' } as const;

/**
 * The album topic's configuration: the broker's time (BROKER_TIME), and records removed by age
 * (retention.ms, the broker's default unless set), never compacted. A compacted topic refuses
 * records without a key, and the original system's producers send their albums keyless. Deletes
 * are tombstones all the same; kept as long as the updates before them, since retention removes
 * a partition's oldest segments first, a consumer reading from the start never sees an update
 * without the deletes that followed it.
 */
export const ALBUM_TOPIC_CONFIGS = { ...BROKER_TIME, 'cleanup.policy': 'delete' } as const;

/**
 * How many of a topic's `replicas` must have a write before it is acknowledged (acks=all): all
 * but one, so that one broker may be lost or restarted without refusing writes, and an
 * acknowledged record is on two brokers at least wherever there are three (2 of 3).
 */
export function minInsyncReplicas(replicas: number): number {
  return Math.max(1, replicas - 1);
}

/**
 * Creates the topics that do not exist yet, with min(3, broker count) replicas
 * (minInsyncReplicas of them in sync for a write) and their configs; sets the configs of existing ones where they differ (their partition count is not
 * changed). A topic created concurrently by another process between our listing and our
 * CreateTopics is fine.
 */
export async function ensureTopics(
  kafka: KafkaConnection,
  topics: readonly TopicSpec[],
): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Admin({ clientId: 'music-service-admin', ...platformaticConnection(kafka) });
  try {
    const metadata = await admin.metadata({ topics: [] });
    const replicas = Math.max(1, Math.min(3, metadata.brokers.size));
    const existing = new Set(await admin.listTopics());
    for (const t of topics) {
      if (existing.has(t.name)) continue;
      try {
        await admin.createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas,
          configs: Object.entries({
            'min.insync.replicas': String(minInsyncReplicas(replicas)),
            ...t.configs,
          }).map(([name, value]) => ({ name, value })),
        });
      } catch (e: unknown) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (findErrorBy(err, 'apiId', 'TOPIC_ALREADY_EXISTS') === null) throw err;
      }
    }
    await waitForLeaders(
      admin,
      topics.map((t) => t.name),
    );
    await alignConfigs(
      admin,
      topics.filter((t) => existing.has(t.name)),
    );
  } finally {
    await admin.close();
  }
}

/**
 * Sets the configs of topics that existed before, where they differ (a topic created before
 * this version, or changed by hand). Only what differs is altered, so a cluster that forbids
 * altering configs still starts when the topics are already right.
 */
async function alignConfigs(admin: Admin, topics: readonly TopicSpec[]): Promise<void> {
  const wanted = topics.filter((t) => Object.keys(t.configs ?? {}).length > 0);
  if (wanted.length === 0) return;
  const described = await admin.describeConfigs({
    resources: wanted.map((t) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName: t.name,
      configurationKeys: Object.keys(t.configs ?? {}),
    })),
  });
  for (const t of wanted) {
    const current = described.find((d) => d.resourceName === t.name)?.configs ?? [];
    const differing = Object.entries(t.configs ?? {}).filter(
      ([name, value]) => current.find((c) => c.name === name)?.value !== value,
    );
    if (differing.length === 0) continue;
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: t.name,
          configs: differing.map(([name, value]) => ({
            name,
            value,
            configOperation: IncrementalAlterConfigOperationTypes.SET,
          })),
        },
      ],
    });
  }
}

/** @platformatic/kafka 2.12 reports UNKNOWN_TOPIC_OR_PARTITION as a UserError naming the topic. */
function isUnknownTopic(err: unknown): boolean {
  return (
    err instanceof Error &&
    Reflect.get(err, 'code') === 'PLT_KFK_USER' &&
    err.message.startsWith('Unknown topic ')
  );
}

/**
 * A new topic's partitions have no leader for a moment; producing then fails, so wait for them.
 * A broker can even answer that the topic does not exist: the controller created it, and the
 * broker's copy of the cluster's metadata has not caught up yet (seen on a loaded machine).
 */
export async function waitForLeaders(
  admin: Pick<Admin, 'metadata'>,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await admin
      .metadata({ topics: [...names], forceUpdate: true })
      .catch((err: unknown) => {
        if (isUnknownTopic(err) && Date.now() <= deadline) return null;
        throw err;
      });
    const ready =
      metadata !== null &&
      names.every((name) => {
        const topic = metadata.topics.get(name);
        return (
          topic !== undefined &&
          topic.partitions.length > 0 &&
          topic.partitions.every((p) => p.leader >= 0)
        );
      });
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * The album topic (ALBUM_TOPIC_CONFIGS) and its dead-letter topic, as every service creates them
 * when missing.
 */
export function albumTopics(o: {
  KAFKA_TOPIC: string;
  KAFKA_DLQ_TOPIC: string;
  KAFKA_PARTITIONS: number;
}): TopicSpec[] {
  return [
    { name: o.KAFKA_TOPIC, partitions: o.KAFKA_PARTITIONS, configs: ALBUM_TOPIC_CONFIGS },
    { name: o.KAFKA_DLQ_TOPIC, partitions: o.KAFKA_PARTITIONS },
  ];
}
