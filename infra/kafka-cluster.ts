// A local multi-node Kafka (KRaft): each node a combined broker+controller JVM started by
// infra/kafka.ts from the same jars, on loopback ports of its own, with the same cluster id and
// principals. Layout under dataDir (the cluster's folder):
//   kafka/credentials.json, kafka/cluster.id (shared), node-<id>/ (each node's data dir, its
//   kafka/libs a link to the jars of `jarsDir`)
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaConnection } from '../src/adapters/kafka/connection.ts';
import {
  ensureKafkaJars,
  kafkaLibsDir,
  type LocalKafkaOptions,
  localKafkaRunning,
  startLocalKafka,
  stopLocalKafka,
} from './kafka.ts';
import { createKafkaPasswords, localKafkaConnection, readKafkaPasswords } from './kafka-auth.ts';

export interface LocalKafkaClusterOptions {
  readonly projectRoot: string;
  /** The cluster's folder. */
  readonly dataDir: string;
  /** Where the jars are resolved (the shared data dir), linked into every node. */
  readonly jarsDir: string;
  readonly host: string;
  /** One client port per node; each node's controller listens on its port + 1. */
  readonly ports: readonly number[];
  readonly report: (line: string) => void;
}

/** The client ports of an `n`-node cluster from `first` on (two ports per node). */
export function clusterPorts(first: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => first + 2 * i);
}

/** What infra/kafka.ts needs to start or stop node `index` (0-based) of the cluster. */
export function clusterNode(o: LocalKafkaClusterOptions, index: number): LocalKafkaOptions {
  const port = o.ports[index];
  if (port === undefined) throw new Error(`kafka: the cluster has no node ${index + 1}`);
  return {
    projectRoot: o.projectRoot,
    dataDir: join(o.dataDir, `node-${index + 1}`),
    host: o.host,
    port,
    report: (line) => o.report(line.replace(/^kafka:/, `kafka node ${index + 1}:`)),
    cluster: {
      nodeId: index + 1,
      voters: o.ports.map((p, i) => `${i + 1}@${o.host}:${p + 1}`).join(','),
    },
  };
}

/** The cluster's addresses, as every client gets them. */
export function clusterBrokers(o: Pick<LocalKafkaClusterOptions, 'host' | 'ports'>): string[] {
  const advertised = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  return o.ports.map((p) => `${advertised}:${p}`);
}

/** The cluster as its admin (a super user), once it was started. */
export function localKafkaClusterAdmin(
  o: Pick<LocalKafkaClusterOptions, 'dataDir' | 'host' | 'ports'>,
): KafkaConnection {
  return localKafkaConnection(clusterBrokers(o), readKafkaPasswords(o.dataDir), 'admin');
}

/**
 * Gives every node what they must share before their first format: the cluster id and the
 * principals' passwords (made here once, kept in the cluster's folder), and the jars.
 */
async function prepareNodes(o: LocalKafkaClusterOptions): Promise<void> {
  const libs = await ensureKafkaJars({ ...o, dataDir: o.jarsDir });
  await mkdir(join(o.dataDir, 'kafka'), { recursive: true });
  if (readKafkaPasswords(o.dataDir) === null) await createKafkaPasswords(o.dataDir);
  const idFile = join(o.dataDir, 'kafka', 'cluster.id');
  let clusterId = (await readFile(idFile, 'utf8').catch(() => '')).trim();
  if (clusterId === '') {
    // Kafka's Uuid text form, never starting with '-' (see infra/kafka.ts).
    do clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-'));
    await writeFile(idFile, clusterId);
  }
  for (const index of o.ports.keys()) {
    const node = clusterNode(o, index).dataDir;
    await mkdir(join(node, 'kafka'), { recursive: true });
    await symlink(libs, kafkaLibsDir(node)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await writeFile(join(node, 'kafka', 'cluster.id'), clusterId);
    await copyFile(
      join(o.dataDir, 'kafka', 'credentials.json'),
      join(node, 'kafka', 'credentials.json'),
    );
  }
}

/** Whether every node runs. */
export async function localKafkaClusterRunning(o: LocalKafkaClusterOptions): Promise<boolean> {
  const running = await Promise.all(
    o.ports.map((_, i) => localKafkaRunning(clusterNode(o, i).dataDir)),
  );
  return running.every(Boolean);
}

/**
 * Starts every node that is not running, side by side (a node answers only once a majority of
 * the controllers elected a leader); resolves with their pids once each answers.
 */
export async function startLocalKafkaCluster(o: LocalKafkaClusterOptions): Promise<number[]> {
  await prepareNodes(o);
  o.report(`kafka: starting a ${o.ports.length}-node cluster on ${clusterBrokers(o).join(',')}…`);
  return Promise.all(o.ports.map((_, i) => startLocalKafka(clusterNode(o, i))));
}

/**
 * Stops every node at once: one after the other, the last ones would wait out their grace for a
 * controller majority that is gone, to move leaderships no broker is left to take.
 */
export async function stopLocalKafkaCluster(o: LocalKafkaClusterOptions): Promise<void> {
  await Promise.all(o.ports.map((_, i) => stopLocalKafka(clusterNode(o, i))));
}
