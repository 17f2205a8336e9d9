// `npm run bench`: measures the pipeline and the ceilings of Kafka and PostgreSQL in one run, on
// a database, topics and services of its own, and prints one JSON object as the last line.
import { performance } from 'node:perf_hooks';
import { ensureKafkaJars } from '../infra/kafka.ts';
import { ensureNativeClient } from '../infra/native-client.ts';
import { ensureLocalPasswords } from '../infra/postgres-roles.ts';
import { dataDir, ensureInfrastructure, kafkaAccess, PROJECT_ROOT } from '../infra/provision.ts';
import { createSql, type Sql } from '../src/adapters/db/client.ts';
import { type Config, ConfigError, loadConfig } from '../src/shared/config.ts';
import { typicalRecordBytes } from './albums.ts';
import { brokerCpuSeconds, coldBrokerWarning } from './broker-warmth.ts';
import { createLedger } from './ledger.ts';
import { onPath } from './load/tools.ts';
import { describeMachine, endedChildrenCpuMs, loadAverage, serverCpu } from './machine.ts';
import { MODES } from './modes.ts';
import { type BenchOptions, PHASES, type Phase, parseOptions, WRITE_PHASES } from './options.ts';
import { measureConsumerAlone, produceBacklog } from './phases/consumers.ts';
import { measureDbCeiling } from './phases/db-ceiling.ts';
import { measureEndToEnd } from './phases/e2e.ts';
import { measureIngest } from './phases/ingest.ts';
import { measureKafkaCeiling } from './phases/kafka-ceiling.ts';
import { measurePostSingle } from './phases/post-single.ts';
import {
  measureGetAlbumList,
  measureGrpcList,
  measureRestList,
  PAGE_SIZE,
  type Reads,
} from './phases/reads.ts';
import { writeReport } from './report.ts';
import { type Measurements, missingFigures, shapeResult } from './result.ts';
import { publishesPerRound, roundTotals } from './rounds.ts';
import { type BenchServices, openScope, startPipeline } from './stack.ts';
import { watchStored } from './visibility.ts';

const say = (line: string) => process.stdout.write(`music: bench: ${line}\n`);

/** Runs the bench; resolves with the exit code. */
export async function runBench(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  let config: Config;
  try {
    options = parseOptions(argv);
    // Before the configuration: it reads the local roles' passwords (first run: generated now).
    ensureLocalPasswords();
    config = loadConfig();
  } catch (err) {
    if (
      err instanceof ConfigError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`music: bench: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  const mode = MODES[options.mode];
  const wanted = new Set(options.phases);
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();
  say(
    `${options.mode} mode on ${machine.cores} cores, ${machine.memory_gb} GB, ${machine.cpu_model} (load ${loadAverage()})`,
  );

  await Promise.all([ensureInfrastructure(config, say), ensureNativeClient(PROJECT_ROOT, say)]);
  const kafkaAdmin = kafkaAccess(config)('admin');
  const libs = wanted.has('kafka_ceiling')
    ? await ensureKafkaJars({ projectRoot: PROJECT_ROOT, dataDir: dataDir(config), report: say })
    : '';
  const scope = await openScope(config, { profile: options.profile, report: say });
  say(`run ${scope.runId}: database ${scope.database}, topics and groups ${scope.prefix}*`);
  const sql = createSql({ url: scope.databaseUrl, max: 4, applicationName: 'music-bench' });
  const watcher = await watchStored(sql);
  let pipeline: BenchServices | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      await pipeline?.stop();
      await watcher.close().catch(() => {});
      await sql.end({ timeout: 2 });
      await scope.close();
    })();
    return cleaning;
  };
  const onSignal = () => {
    say('interrupted: stopping services, dropping the run database and topics');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const m: { -readonly [K in keyof Measurements]: Measurements[K] } = {};
  const generators: Record<string, string> = {};
  const rounds: Record<string, number> = {};
  /** The broker's CPU seconds since it started, when the write measurements began. */
  let brokerCpuBeforeWrites: number | undefined;
  const servers = {
    kafka: Number(config.KAFKA_BROKERS[0]?.split(':').at(-1)),
    postgres: Number(new URL(config.DATABASE_URL).port || 5432),
  };
  const ledger = createLedger({
    servers,
    servicesCpu: () => pipeline?.cpuMs() ?? {},
    say,
  });
  const measure = <T extends { readonly units: number }>(
    phase: Phase,
    work: () => Promise<T>,
    describe: (value: T) => string,
  ) => (wanted.has(phase) ? ledger.measure(phase, work, describe) : Promise.resolve(undefined));
  /**
   * A measurement under load from a generator, recording which program it was and, when it was a
   * program of its own (wrk, h2load), the CPU it spent (`loadgen`): on two cores, what the load
   * generator takes is not the servers'.
   */
  const measureLoaded = async <T extends { readonly units: number; readonly generator: string }>(
    phase: Phase,
    work: () => Promise<T>,
    describe: (value: T) => string,
  ) => {
    const childrenBefore = endedChildrenCpuMs();
    const value = await measure(phase, work, describe);
    if (value) {
      generators[phase] = value.generator;
      const spent = endedChildrenCpuMs() - childrenBefore;
      if (spent > 0) ledger.addCpu(phase, 'loadgen', spent);
    }
    return value;
  };

  try {
    m.dbCeiling = await measure(
      'db_ceiling',
      () => measureDbCeiling(sql, mode.dbCeilingRows, mode.dbCeilingAttempts),
      (v) => `${Math.round(v.rowsPerSecond)} rows/s (${v.rows} rows in ${v.seconds.toFixed(2)} s)`,
    );
    m.kafkaCeiling = await measure(
      'kafka_ceiling',
      () =>
        measureKafkaCeiling({
          libs,
          kafka: kafkaAdmin,
          topic: scope.ceilingTopic,
          records: mode.kafkaCeilingRecords,
          recordBytes: typicalRecordBytes(),
        }),
      (v) =>
        `${Math.round(v.msgsPerSecond)} msgs/s of ${v.recordBytes} bytes (${v.mbPerSecond} MB/s, p99 ${v.p99LatencyMs} ms)`,
    );
    if (wanted.has('consumer_platformatic') || wanted.has('consumer_confluent')) {
      const rate = await produceBacklog(kafkaAdmin, scope.backlogTopic, mode.backlog);
      say(`backlog: ${mode.backlog} albums produced at ${Math.round(rate)} msgs/s`);
    }
    for (const client of ['platformatic', 'confluent'] as const) {
      const value = await measure(
        `consumer_${client}`,
        () =>
          measureConsumerAlone({
            client,
            scope,
            sql,
            watcher,
            count: mode.backlog,
            serverCpu: () => serverCpu(servers),
          }),
        (v) =>
          `${Math.round(v.albumsPerSecond)} albums/s (${v.albums} in ${v.seconds.toFixed(2)} s, CPU ms while draining ${JSON.stringify(v.cpuMs)})`,
      );
      // The drain's own CPU figures: the ledger's would count start-up and miss the backends.
      for (const [name, ms] of Object.entries(value?.cpuMs ?? {}))
        ledger.addCpu(`consumer_${client}`, name, ms);
      if (client === 'platformatic') m.consumerPlatformatic = value;
      else m.consumerConfluent = value;
    }

    // Every phase from ingest on runs against the services.
    const needsPipeline = PHASES.slice(PHASES.indexOf('ingest')).some((p) => wanted.has(p));
    if (needsPipeline) {
      pipeline = await startPipeline(scope, config);
      const { restUrl, grpcUrl, restMetricsUrl } = pipeline;
      say(`services up: REST ${restUrl}, gRPC ${grpcUrl}; logs in ${scope.logsDir}`);
      if (WRITE_PHASES.some((p) => wanted.has(p))) {
        brokerCpuBeforeWrites = brokerCpuSeconds(serverCpu(servers));
        const warning = coldBrokerWarning(brokerCpuBeforeWrites);
        if (warning !== null) say(warning);
      }
      /** A write measurement, recording the publishes per Kafka transaction it made. */
      const countingRounds = async <T>(phase: Phase, work: () => Promise<T>) => {
        if (!wanted.has(phase)) return work();
        const before = await roundTotals(restMetricsUrl);
        const value = await work();
        const per = publishesPerRound(before, await roundTotals(restMetricsUrl));
        if (value !== undefined && per !== undefined) rounds[phase] = per;
        return value;
      };
      m.ingest = await countingRounds('ingest', () =>
        measureLoaded(
          'ingest',
          () =>
            measureIngest({
              restUrl,
              sql,
              watcher,
              seconds: mode.ingestSeconds,
              batchSize: mode.batchSize,
              connections: mode.ingestConnections,
            }),
          (v) =>
            `${Math.round(v.albumsPerSecond)} albums/s stored (${Math.round(v.acceptedPerSecond)} accepted/s, drained ${v.drainSeconds.toFixed(2)} s after the load)`,
        ),
      );
      m.postSingle = await countingRounds('post_single', () =>
        measureLoaded(
          'post_single',
          () =>
            measurePostSingle({
              restUrl,
              watcher,
              seconds: mode.loadSeconds,
              warmupSeconds: mode.warmupSeconds,
              connections: mode.postConnections,
            }),
          (v) =>
            `${Math.round(v.rps)} req/s, p50 ${v.latency.p50_ms} ms, p99 ${v.latency.p99_ms} ms (${v.failed} failed)`,
        ),
      );
      m.e2e = await countingRounds('e2e', () =>
        measure(
          'e2e',
          () =>
            measureEndToEnd({
              restUrl,
              sql,
              watcher,
              perSecond: mode.e2ePerSecond,
              seconds: mode.e2eSeconds,
            }),
          (v) =>
            `p50 ${v.latency.p50_ms} ms, p99 ${v.latency.p99_ms} ms, max ${v.latency.max_ms} ms at ${Math.round(v.acceptedPerSecond)} albums/s; record to upsert p50 ${v.recordToUpsert.p50_ms.toFixed(1)} ms, p99 ${v.recordToUpsert.p99_ms.toFixed(1)} ms; POST to 202 p50 ${v.answered.p50_ms.toFixed(1)} ms, p99 ${v.answered.p99_ms.toFixed(1)} ms`,
        ),
      );
      if (wanted.has('rest_list') || wanted.has('grpc_list')) await ensureRows(sql, PAGE_SIZE + 1);
      const reads = (v: Reads) =>
        `${Math.round(v.rps)} req/s, p99 ${v.latency.p99_ms} ms (${v.failed} failed; ${v.generator})`;
      const measureReads = (phase: Phase, work: () => Promise<Reads>) =>
        measureLoaded(phase, work, reads);
      m.restList = await measureReads('rest_list', () =>
        measureRestList({
          restUrl,
          seconds: mode.loadSeconds,
          warmupSeconds: mode.warmupSeconds,
          connections: mode.readConnections,
        }),
      );
      // Debian's nghttp2-client (infra/system-packages.txt); without it, gRPC load from Node.
      const h2load = onPath('h2load');
      if (h2load === null)
        say('h2load: not installed (nghttp2-client): gRPC load from Node instead');
      const grpcOptions = {
        grpcUrl,
        seconds: mode.loadSeconds,
        warmupSeconds: mode.warmupSeconds,
        concurrency: mode.readConnections,
        h2load,
      };
      m.grpcList = await measureReads('grpc_list', () => measureGrpcList(grpcOptions));
      // Last: they replace the run's albums with a table of exactly 4, then 1,000.
      m.grpcGetAlbumList4 = await measureReads('grpc_get_album_list_4', () =>
        measureGetAlbumList(sql, 4, grpcOptions),
      );
      m.grpcGetAlbumList1000 = await measureReads('grpc_get_album_list_1000', () =>
        measureGetAlbumList(sql, 1000, grpcOptions),
      );
    }
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const result = shapeResult(m, {
    mode: options.mode,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine,
    loads: ledger.loads,
    cpu: ledger.cpu,
    units: ledger.units,
    generators,
    rounds,
    brokerCpuBeforeWrites,
  });
  for (const file of await writeReport(options.outDir, result)) say(`wrote ${file}`);
  if (scope.profileDir) say(`CPU profiles of the services in ${scope.profileDir}`);
  const missing = options.phases.length === PHASES.length ? missingFigures(result) : [];
  if (missing.length > 0) say(`missing figures: ${missing.join(', ')}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return missing.length === 0 ? 0 : 1;
}

/** Reads need a full page: earlier phases may have been left out. */
async function ensureRows(sql: Sql, rows: number): Promise<void> {
  await sql`
    insert into music.albums (id, title, artist, price)
    select g, 'Bench album ' || g, 'Artist ' || (g % 97), 9.99 from generate_series(1, ${rows}::int4) g
    on conflict (id) do nothing`;
}
