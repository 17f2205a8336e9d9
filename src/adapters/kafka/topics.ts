import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, findErrorBy } from '@platformatic/kafka';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/**
 * Creates the topics that do not exist yet, with min(3, broker count) replicas. Existing topics
 * are left as they are (their partition count is not changed). A topic created concurrently by
 * another process between our listing and our CreateTopics is fine.
 */
export async function ensureTopics(
  brokers: readonly string[],
  topics: readonly TopicSpec[],
): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Admin({ clientId: 'music-service-admin', bootstrapBrokers: [...brokers] });
  try {
    const metadata = await admin.metadata({ topics: [] });
    const replicas = Math.max(1, Math.min(3, metadata.brokers.size));
    const existing = new Set(await admin.listTopics());
    for (const t of topics) {
      if (existing.has(t.name)) continue;
      try {
        await admin.createTopics({ topics: [t.name], partitions: t.partitions, replicas });
      } catch (e: unknown) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (findErrorBy(err, 'apiId', 'TOPIC_ALREADY_EXISTS') === null) throw err;
      }
    }
    await waitForLeaders(
      admin,
      topics.map((t) => t.name),
    );
  } finally {
    await admin.close();
  }
}

// A new topic's partitions have no leader for a moment; producing then fails, so wait for them.
async function waitForLeaders(
  admin: Admin,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await admin.metadata({ topics: [...names], forceUpdate: true });
    const ready = names.every((name) => {
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

/** The album topic and its dead-letter topic, as every service creates them when missing. */
export function albumTopics(o: {
  KAFKA_TOPIC: string;
  KAFKA_DLQ_TOPIC: string;
  KAFKA_PARTITIONS: number;
}): TopicSpec[] {
  return [
    { name: o.KAFKA_TOPIC, partitions: o.KAFKA_PARTITIONS },
    { name: o.KAFKA_DLQ_TOPIC, partitions: o.KAFKA_PARTITIONS },
  ];
}
