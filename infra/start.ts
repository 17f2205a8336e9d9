// `npm start`: provisions what is missing, starts every service, supervises them, and on
// Ctrl-C / SIGTERM stops what this run started.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, ConfigError, loadConfig, redactUrl } from '../src/shared/config.ts';
import { stopLocalKafka } from './kafka.ts';
import { kafkaEnv } from './kafka-auth.ts';
import { stopLocalKafkaCluster } from './kafka-cluster.ts';
import { ensureNativeClient } from './native-client.ts';
import { stopLocalPostgres } from './postgres.ts';
import { ensureLocalPasswords } from './postgres-roles.ts';
import { ensureLocalStandby, localStandby, refuseOldPrimary } from './postgres-standby.ts';
import { processRuns } from './process-runs.ts';
import {
  dataDir,
  ensureInfrastructure,
  kafkaAccess,
  localKafkaCluster,
  PROJECT_ROOT,
  type Provisioned,
} from './provision.ts';
import { closeServiceLogs } from './service-log.ts';
import {
  freePort,
  type RunningService,
  SERVICES,
  type ServiceSpec,
  spawnService,
  stopService,
  whenReady,
} from './services.ts';
import { ensureUiBuilt } from './ui.ts';

const say = (line: string) => process.stdout.write(`music: ${line}\n`);

function loadOrExit(): Config {
  try {
    // Before the configuration: it reads the local roles' passwords (first start: generated now).
    ensureLocalPasswords();
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`music: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

// Each live `npm start` leaves a marker, so the last one to stop is the one that stops shared
// infrastructure that it started.
function markRunning(runDir: string): () => boolean {
  mkdirSync(runDir, { recursive: true });
  const mine = join(runDir, `start-${process.pid}`);
  writeFileSync(mine, '');
  return () => {
    rmSync(mine, { force: true });
    return readdirSync(runDir)
      .filter((f) => f.startsWith('start-'))
      .some((f) => {
        if (processRuns(Number(f.slice(6)))) return true;
        rmSync(join(runDir, f), { force: true });
        return false;
      });
  };
}

/** Time since `npm start` was typed (the bootstrap's launch), installs included. */
function sinceLaunch(): string {
  const launched = Number(process.env.MUSIC_LAUNCHED_AT ?? performance.timeOrigin);
  return `${((Date.now() - launched) / 1000).toFixed(1)} s`;
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let lastReport = 0;
  let last = '';
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = JSON.stringify(((await res.json()) as { checks?: unknown }).checks ?? {});
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      say(`waiting for readiness (${Math.round((Date.now() - started) / 1000)}s)…`);
    }
    await sleep(500);
  }
  throw new Error(`not ready after ${timeoutMs / 1000}s: ${last}`);
}

async function main(): Promise<void> {
  const config = loadOrExit();
  const dir = dataDir(config);
  const logsDir = join(dir, 'logs');
  const othersRunning = markRunning(join(dir, 'run'));
  let provisioned: Provisioned = { kafka: false, postgres: false };
  let standbyStarted = false;
  const running: RunningService[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    // Each step is tried whatever the others did: a failing one must not leave the rest running.
    const steps: [string, () => Promise<unknown> | unknown][] = [
      ['services', () => Promise.all(running.map((s) => stopService(s, 30_000)))],
      // Their logs pass through this process: what is buffered is written before it exits.
      ['logs', () => closeServiceLogs()],
    ];
    if (othersRunning()) {
      say('another `npm start` is running: Kafka and PostgreSQL stay up');
    } else {
      const cluster = localKafkaCluster(config, say);
      if (provisioned.kafka)
        steps.push([
          'kafka',
          () =>
            cluster === null
              ? stopLocalKafka({ dataDir: dir, report: say })
              : stopLocalKafkaCluster(cluster),
        ]);
      if (provisioned.postgres) steps.push(['postgres', () => stopLocalPostgres(dir)]);
      const standby = localStandby(config);
      if (standbyStarted && standby !== null)
        steps.push(['postgres standby', () => stopLocalPostgres(standby.dataDir)]);
    }
    let failed = false;
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err: unknown) {
        failed = true;
        say(`could not stop ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    say('stopped');
    process.exit(failed && code === 0 ? 1 : code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => void stopAll(0));
  // Whoever launched us died without a word (SIGKILL): stop as if told to.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopAll(0);
  }, 500).unref();

  try {
    refuseOldPrimary(config);
    // Independent first-start steps side by side; the infrastructure's result is kept even
    // when another step fails, so that what it started is stopped.
    const [infra, ...others] = await Promise.allSettled([
      ensureInfrastructure(config, say).then(async (p) => {
        provisioned = p;
        standbyStarted = await ensureLocalStandby(config, say);
      }),
      ensureUiBuilt(PROJECT_ROOT, say),
      ensureNativeClient(PROJECT_ROOT, say),
    ]);
    for (const outcome of [infra, ...others])
      if (outcome.status === 'rejected') throw outcome.reason;
    const restPort = await freePort(config.REST_HOST, config.REST_PORT);
    const grpcPort = await freePort(config.GRPC_HOST, config.GRPC_PORT);
    for (const [name, want, got] of [
      ['REST', config.REST_PORT, restPort],
      ['gRPC', config.GRPC_PORT, grpcPort],
    ] as const) {
      if (want !== got) say(`${name} port ${want} is taken (another music-service?); using ${got}`);
    }
    const metricsPorts = await metricsPortsOf(config, say);
    const access = kafkaAccess(config);
    // The topics exist (provisioned above); each service connects as its own principal.
    const envOf = (spec: ServiceSpec): NodeJS.ProcessEnv => ({
      ...process.env,
      REST_PORT: String(restPort),
      GRPC_PORT: String(grpcPort),
      ...(metricsPorts.has(spec.name) ? { METRICS_PORT: String(metricsPorts.get(spec.name)) } : {}),
      KAFKA_CREATE_TOPICS: 'false',
      // Every node's address (a local cluster's too, which KAFKA_NODES alone implies).
      KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
      ...(spec.kafkaRole === undefined ? {} : kafkaEnv(access(spec.kafkaRole))),
      // Static group membership: the same name across this run's restarts of the consumer, none
      // shared with another run's.
      ...(spec.kafkaRole === 'consumer'
        ? { KAFKA_GROUP_INSTANCE_ID: `${spec.name}-${hostname()}-${process.pid}` }
        : {}),
    });
    for (const spec of SERVICES)
      running.push(spawnService(PROJECT_ROOT, logsDir, spec, envOf(spec)));
    await Promise.all(running.map((s) => whenReady(s, 60_000)));
    for (const s of running) supervise(s, PROJECT_ROOT, logsDir, envOf(s.spec), () => stopping);
    const base = `http://${config.REST_HOST}:${restPort}`;
    await waitUntilReady(`${base}/readyz`, 120_000);
    say(
      [
        'music-service is up',
        `  REST API and UI  ${base}/  (API docs ${base}/docs, readiness ${base}/readyz)`,
        `  gRPC API         ${config.GRPC_HOST}:${grpcPort}  (service.MusicService, grpc.health.v1.Health)`,
        `  consumers        platformatic and confluent, group ${config.KAFKA_GROUP_ID}`,
        ...[...metricsPorts].map(
          ([name, port]) =>
            `  metrics (${name})  http://${config.METRICS_HOST}:${port}/metrics${config.METRICS_TOKEN ? '  (bearer token METRICS_TOKEN)' : ''}`,
        ),
        `  Kafka            ${config.KAFKA_BROKERS.join(',')}  (topics ${config.KAFKA_TOPIC}, ${config.KAFKA_DLQ_TOPIC})`,
        `  PostgreSQL       ${redactUrl(config.DATABASE_URL)}`,
        ...(config.PG_STANDBY
          ? [
              `  standby          127.0.0.1:${config.PG_STANDBY_PORT}  (reads; npx music db promote)`,
            ]
          : []),
        `  logs             ${logsDir}/*.log`,
        `Up in ${sinceLaunch()}. Ctrl-C stops what this run started.`,
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(`music: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

/**
 * A free metrics port for each service that serves metrics: from METRICS_PORT upwards, one after
 * the other, so that a second `npm start` (or another exporter on 9464) does not collide; any
 * free ones with METRICS_PORT 0. Kept for restarts, so that Prometheus finds a service again.
 */
async function metricsPortsOf(
  config: Config,
  report: (line: string) => void,
): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  let from = config.METRICS_PORT;
  for (const spec of SERVICES.filter((s) => s.servesMetrics)) {
    const port = await freePort(config.METRICS_HOST, from);
    if (from !== 0 && port !== from)
      report(`metrics port ${from} is taken (another music-service?); ${spec.name} uses ${port}`);
    ports.set(spec.name, port);
    if (from !== 0) from = port + 1;
  }
  return ports;
}

/** Restarts a service that died on its own, backing off while it keeps dying. */
function supervise(
  service: RunningService,
  root: string,
  logsDir: string,
  env: NodeJS.ProcessEnv,
  stopping: () => boolean,
): void {
  let delay = 1000;
  let startedAt = Date.now();
  const onExit = async (code: number | null, signal: string | null) => {
    if (stopping()) return;
    if (Date.now() - startedAt > 60_000) delay = 1000;
    say(
      `${service.spec.name} exited (${signal ?? code}); restarting in ${delay / 1000}s, see ${service.logFile}`,
    );
    await sleep(delay);
    delay = Math.min(delay * 2, 30_000);
    if (stopping()) return;
    const next = spawnService(root, logsDir, service.spec, env);
    service.child = next.child;
    startedAt = Date.now();
    service.child.once('exit', onExit);
  };
  service.child.once('exit', onExit);
}

await main();
