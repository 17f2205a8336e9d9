import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaEnv } from '../infra/kafka-auth.ts';
import { dataDir, kafkaAccess, PROJECT_ROOT } from '../infra/provision.ts';
import { reservedPort } from '../infra/reserved-ports.ts';
import {
  createScratchDatabase,
  databaseEnvOn,
  deleteTopicsWithPrefix,
  dropScratchDatabase,
} from '../infra/scratch.ts';
import {
  type RunningService,
  type ServiceSpec,
  spawnService,
  stopService,
  whenReady,
} from '../infra/services.ts';
import type { KafkaConnection } from '../src/adapters/kafka/connection.ts';
import { createGroupProbe } from '../src/adapters/kafka/group-probe.ts';
import { albumTopics, ensureTopics, type TopicSpec } from '../src/adapters/kafka/topics.ts';
import type { Config } from '../src/shared/config.ts';
import { processCpuMs } from './machine.ts';

/** The bench run's own database, topics and groups: it never touches a running `npm start`. */
export interface BenchScope {
  readonly runId: string;
  readonly database: string;
  readonly databaseUrl: string;
  /** Prefix of every topic and group of the run. */
  readonly prefix: string;
  /** The environment of the run's services (its database, topics, group, ports to be added). */
  readonly env: NodeJS.ProcessEnv;
  readonly logsDir: string;
  /** Where services write CPU profiles, when profiling. */
  readonly profileDir: string | undefined;
  readonly topic: string;
  /** The backlog the consumers drain alone, and the topic of the produce ceiling. */
  readonly backlogTopic: string;
  readonly ceilingTopic: string;
  close(): Promise<void>;
}

/** Creates the run's database (migrated) and topics. */
export async function openScope(
  config: Config,
  o: { readonly profile: boolean; readonly report: (line: string) => void },
): Promise<BenchScope> {
  const runId = randomBytes(4).toString('hex');
  const database = `music_bench_${runId}`;
  const prefix = `bench-${runId}`;
  const databaseUrl = await createScratchDatabase(config.DATABASE_MIGRATE_URL, database);
  const kafkaAdmin = kafkaAccess(config)('admin');
  const close = async () => {
    await dropScratchDatabase(config.DATABASE_MIGRATE_URL, database).catch((err: unknown) =>
      o.report(`could not drop ${database}: ${(err as Error).message}`),
    );
    await deleteTopicsWithPrefix(kafkaAdmin, prefix).catch((err: unknown) =>
      o.report(`could not delete topics ${prefix}*: ${(err as Error).message}`),
    );
  };
  try {
    const topic = `${prefix}.music.albums`;
    const backlogTopic = `${prefix}.backlog`;
    const ceilingTopic = `${prefix}.ceiling`;
    const topics: TopicSpec[] = [
      ...albumTopics({
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: `${topic}.dlq`,
        KAFKA_PARTITIONS: config.KAFKA_PARTITIONS,
      }),
      ...albumTopics({
        KAFKA_TOPIC: backlogTopic,
        KAFKA_DLQ_TOPIC: `${backlogTopic}.dlq`,
        KAFKA_PARTITIONS: config.KAFKA_PARTITIONS,
      }),
      { name: ceilingTopic, partitions: config.KAFKA_PARTITIONS },
    ];
    await ensureTopics(kafkaAdmin, topics);
    // One folder for the last run's logs (and profiles): a run writes a lot at info level.
    const logsDir = join(dataDir(config), 'logs', 'bench');
    rmSync(logsDir, { recursive: true, force: true });
    mkdirSync(logsDir, { recursive: true });
    const profileDir = o.profile ? join(dataDir(config), 'profiles', runId) : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    return {
      runId,
      database,
      databaseUrl,
      prefix,
      env: {
        ...process.env,
        // The services run as the writer and the reader there, as they do on `music`.
        ...databaseEnvOn(config, database),
        // The run's own topics and group: its services connect as the Kafka admin.
        ...kafkaEnv(kafkaAdmin),
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: `${topic}.dlq`,
        KAFKA_GROUP_ID: `${prefix}-music-albums`,
        // Another limiter must not throttle the load: 0 turns it off.
        RATE_LIMIT_MAX: '0',
      },
      logsDir,
      profileDir,
      topic,
      backlogTopic,
      ceilingTopic,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Running services of the run. */
export interface Started {
  /** CPU milliseconds each service has used so far, by service name. */
  cpuMs(): Record<string, number>;
  stop(): Promise<void>;
}

/** REST, gRPC and the consumers, started as `npm start` starts them. */
export interface BenchServices extends Started {
  readonly restUrl: string;
  readonly grpcUrl: string;
  /** The REST API's Prometheus metrics (the publisher's rounds). */
  readonly restMetricsUrl: string;
}

const START_TIMEOUT_MS = 60_000;

/** Starts services on the run's environment; resolves once every one reported ready. */
export async function startServices(
  scope: BenchScope,
  specs: readonly ServiceSpec[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Started> {
  const profile = (name: string) =>
    scope.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${scope.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
  const running: RunningService[] = specs.map((spec) =>
    spawnService(
      PROJECT_ROOT,
      scope.logsDir,
      { ...spec, nodeArgs: profile(spec.name) },
      { ...scope.env, ...extraEnv },
    ),
  );
  const stop = async () => {
    await Promise.all(running.map((s) => stopService(s, 30_000)));
  };
  try {
    await Promise.all(running.map((s) => whenReady(s, START_TIMEOUT_MS)));
  } catch (err) {
    await stop();
    throw err;
  }
  const cpuMs = () => {
    const used: Record<string, number> = {};
    for (const s of running) {
      const ms = s.child.pid === undefined ? undefined : processCpuMs(s.child.pid);
      if (ms !== undefined) used[s.spec.name] = ms;
    }
    return used;
  };
  return { cpuMs, stop };
}

/** REST, gRPC and both consumers in one group, as `npm start` runs them. */
export async function startPipeline(scope: BenchScope, config: Config): Promise<BenchServices> {
  const host = '127.0.0.1';
  // Below the ephemeral range: a port in it was once taken by an outgoing connection while the
  // services started (the REST API's listen failed).
  const restPort = await reservedPort(2);
  const restMetricsPort = restPort + 1;
  const grpcPort = await reservedPort();
  const services = await startServices(
    scope,
    [
      {
        name: 'rest',
        script: 'src/apps/rest/main.ts',
        env: { METRICS_PORT: String(restMetricsPort) },
      },
      { name: 'grpc', script: 'src/apps/grpc/main.ts' },
      ...(['platformatic', 'confluent'] as const).map((client) => consumerSpec(client)),
    ],
    {
      REST_HOST: host,
      REST_PORT: String(restPort),
      GRPC_HOST: host,
      GRPC_PORT: String(grpcPort),
      // Any free port, so a running `npm start` (9464) is no bother; the REST API's is scraped.
      METRICS_HOST: host,
      METRICS_PORT: '0',
      KAFKA_PARTITIONS: String(config.KAFKA_PARTITIONS),
    },
  );
  try {
    await untilGroupSettled(kafkaAccess(config)('admin'), String(scope.env.KAFKA_GROUP_ID), {
      members: 2,
      partitions: config.KAFKA_PARTITIONS,
    });
  } catch (err) {
    await services.stop();
    throw err;
  }
  return {
    restUrl: `http://${host}:${restPort}`,
    grpcUrl: `http://${host}:${grpcPort}`,
    restMetricsUrl: `http://${host}:${restMetricsPort}/metrics`,
    cpuMs: services.cpuMs,
    stop: services.stop,
  };
}

const SETTLE_TIMEOUT_MS = 60_000;

/**
 * Waits until `members` consumers are in a stable group, each holding partitions (as many as the
 * topic's partitions allow). A consumer says it is ready once it joined; under cooperative
 * rebalancing the second member gets its share only in a second round, up to a heartbeat later,
 * and a phase measured before that measures one consumer and the rebalance.
 */
async function untilGroupSettled(
  kafka: KafkaConnection,
  groupId: string,
  o: { readonly members: number; readonly partitions: number },
): Promise<void> {
  const probe = createGroupProbe(kafka, `${groupId}-bench-probe`);
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let last = 'not described yet';
  try {
    while (performance.now() < deadline) {
      const group = await probe.describe(groupId).catch((err: unknown) => {
        last = (err as Error).message;
        return null;
      });
      if (group !== null) {
        last = `${group.state}, partitions held ${JSON.stringify(group.assigned)}`;
        if (
          group.state === 'Stable' &&
          group.assigned.length === o.members &&
          group.assigned.filter((n) => n > 0).length === Math.min(o.members, o.partitions)
        )
          return;
      }
      await sleep(250);
    }
    throw new Error(`consumer group ${groupId} did not settle in ${SETTLE_TIMEOUT_MS} ms: ${last}`);
  } finally {
    await probe.close();
  }
}

export function consumerSpec(client: 'platformatic' | 'confluent'): ServiceSpec {
  return {
    name: `consumer-${client}`,
    script: 'src/apps/consumer/main.ts',
    args: ['--client', client],
  };
}
