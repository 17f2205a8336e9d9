// A private three-node Kafka cluster for one test, on ports and in a folder of its own, started
// with the project's own provisioning (infra/kafka-cluster.ts): cluster fault tests kill and
// restart its nodes, never the shared broker.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Admin } from '@platformatic/kafka';
import {
  kafkaLibsDir,
  killLocalKafka,
  startLocalKafka,
  stopLocalKafka,
} from '../../infra/kafka.ts';
import {
  clusterNode,
  clusterPorts,
  type LocalKafkaClusterOptions,
  localKafkaClusterAdmin,
  startLocalKafkaCluster,
} from '../../infra/kafka-cluster.ts';
import { reservedPort } from '../../infra/reserved-ports.ts';
import {
  type KafkaConnection,
  platformaticConnection,
} from '../../src/adapters/kafka/connection.ts';
import type { Defer } from './cleanup.ts';
import { config, uniqueName } from './stack.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NODES = 3;

export interface PrivateCluster {
  /** As the cluster's admin (a super user), with every node's address. */
  readonly connection: KafkaConnection;
  readonly size: number;
  /** Node `id` (1-based) killed with SIGKILL, as a crash. */
  kill(id: number): Promise<void>;
  /** Node `id` stopped cleanly (SIGTERM: controlled shutdown). */
  stop(id: number): Promise<void>;
  /** Node `id` started again; resolves once it answers. */
  start(id: number): Promise<void>;
}

/**
 * Three combined broker+controller nodes on free loopback ports, reusing the shared broker's
 * jars. Stopped and removed at cleanup, after the clients deferred later.
 */
export async function privateCluster(defer: Defer, label: string): Promise<PrivateCluster> {
  // Two ports per node, all in one free run so that the nodes' ports stay apart from others'.
  const first = await reservedPort(2 * NODES);
  const lines: string[] = [];
  const o: LocalKafkaClusterOptions = {
    projectRoot: ROOT,
    dataDir: join(ROOT, '.data', `test-kafka-${uniqueName(label)}`),
    jarsDir: resolve(ROOT, config.MUSIC_DATA_DIR),
    host: '127.0.0.1',
    ports: clusterPorts(first, NODES),
    report: (l: string) => void lines.push(l),
  };
  assert.ok(existsSync(join(kafkaLibsDir(o.jarsDir), '.pom.sha256')), 'Kafka jars resolved');
  // Registered before the start, so that a start that fails half-way is cleaned up too.
  defer(async () => {
    // Its data is removed next: a crash-like end is as good as a clean one, and faster.
    await Promise.all(o.ports.map((_, i) => killLocalKafka(clusterNode(o, i))));
    await rm(o.dataDir, { recursive: true, force: true });
  });
  await startLocalKafkaCluster(o);
  const node = (id: number) => clusterNode(o, id - 1);
  return {
    connection: localKafkaClusterAdmin(o),
    size: NODES,
    kill: (id) => killLocalKafka(node(id)),
    stop: (id) => stopLocalKafka(node(id)),
    start: async (id) => void (await startLocalKafka(node(id))),
  };
}

export interface PartitionState {
  readonly partition: number;
  readonly leader: number;
  readonly isr: readonly number[];
}

/** Each partition's leader and in-sync replicas, as the cluster's metadata says now. */
export async function partitionStates(
  kafka: KafkaConnection,
  topic: string,
): Promise<PartitionState[]> {
  const admin = new Admin({
    clientId: 'music-test-cluster-probe',
    ...platformaticConnection(kafka),
    retries: 1,
  });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    return partitions.map((p, partition) => ({
      partition,
      leader: p.leader,
      isr: [...p.isr],
    }));
  } finally {
    await admin.close().catch(() => undefined);
  }
}
