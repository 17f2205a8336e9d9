import type { Machine } from './machine.ts';
import type { ModeName } from './modes.ts';
import type { LatencySummary } from './percentiles.ts';

/** The 1-minute load average before and after a measurement: how busy the machine was. */
export interface Load {
  readonly before: number;
  readonly after: number;
}

/** What each phase measured; a phase left out (`--only`) leaves its figures out. */
export interface Measurements {
  readonly dbCeiling?: { readonly rowsPerSecond: number };
  readonly kafkaCeiling?: { readonly msgsPerSecond: number; readonly recordBytes: number };
  readonly consumerPlatformatic?: { readonly albumsPerSecond: number };
  readonly consumerConfluent?: { readonly albumsPerSecond: number };
  readonly ingest?: {
    readonly albumsPerSecond: number;
    readonly acceptedPerSecond: number;
    readonly batchSize: number;
  };
  readonly postSingle?: { readonly rps: number; readonly latency: LatencySummary };
  readonly e2e?: {
    readonly latency: LatencySummary;
    readonly acceptedPerSecond: number;
    readonly recordToUpsert?: { readonly p50_ms: number; readonly p99_ms: number };
    /** From each POST's start to its 202. */
    readonly answered?: LatencySummary;
  };
  readonly restList?: { readonly rps: number; readonly latency: LatencySummary };
  readonly grpcList?: { readonly rps: number; readonly latency: LatencySummary };
  /** GetAlbumList on a table of 4 albums, and of 1,000. */
  readonly grpcGetAlbumList4?: { readonly rps: number; readonly latency: LatencySummary };
  readonly grpcGetAlbumList1000?: { readonly rps: number; readonly latency: LatencySummary };
}

/** The figures the issue asks for: each must be a positive number in a complete run. */
export const REQUIRED_FIGURES = [
  'ingest_batch_albums_per_s',
  'post_single_rps',
  'post_single_p99_ms',
  'e2e_p50_ms',
  'e2e_p99_ms',
  'consumer_platformatic_albums_per_s',
  'consumer_confluent_albums_per_s',
  'rest_list_rps',
  'grpc_list_rps',
  'grpc_get_album_list_4_rps',
  'grpc_get_album_list_1000_rps',
  'db_upsert_ceiling_rows_per_s',
  'kafka_produce_ceiling_msgs_per_s',
  'ratio_ingest_to_db_ceiling',
  'ratio_ingest_to_kafka_ceiling',
  'ratio_consumer_platformatic_to_db_ceiling',
  'ratio_consumer_confluent_to_db_ceiling',
  'ratio_post_single_to_kafka_ceiling',
] as const;

const OTHER_FIGURES = [
  'ingest_accepted_albums_per_s',
  'ingest_batch_size',
  'post_single_p50_ms',
  'e2e_rate_albums_per_s',
  'e2e_max_ms',
  'e2e_record_to_upsert_p99_ms',
  'e2e_post_p50_ms',
  'e2e_post_p99_ms',
  'rest_list_p99_ms',
  'grpc_list_p99_ms',
  'kafka_record_bytes',
  'post_single_cpu_us',
  'post_single_kafka_cpu_us',
  'post_single_total_cpu_us',
  'ingest_cpu_us',
  'ingest_kafka_cpu_us',
  'ingest_total_cpu_us',
  'e2e_cpu_us',
  'e2e_kafka_cpu_us',
  'e2e_total_cpu_us',
  'grpc_get_album_list_4_p99_ms',
  'grpc_get_album_list_1000_p99_ms',
  'grpc_get_album_list_cpu_us',
  'grpc_get_album_list_1000_cpu_us',
  'rest_list_cpu_us',
  'rest_list_postgres_cpu_us',
  'grpc_list_cpu_us',
  'grpc_list_postgres_cpu_us',
] as const;

export type FigureName = (typeof REQUIRED_FIGURES)[number] | (typeof OTHER_FIGURES)[number];
export type Figures = Partial<Record<FigureName, number>>;

/**
 * The targets on a 2-core machine in quick mode: at least (rates) or at most (latencies). The
 * write and read goals are the performance issue's: twice the original Go system where it was
 * measured beside ours, and its end-to-end bound (docs/benchmarks.md says which are met).
 */
export const TARGETS = {
  ingest_batch_albums_per_s: { atLeast: 50_000 },
  post_single_rps: { atLeast: 20_000 },
  post_single_p99_ms: { atMost: 8 },
  e2e_p99_ms: { atMost: 40 },
  consumer_platformatic_albums_per_s: { atLeast: 10_000 },
  consumer_confluent_albums_per_s: { atLeast: 10_000 },
  // Both read APIs: 10,000 pages of 50 a second; GetAlbumList twice the original Go system's.
  rest_list_rps: { atLeast: 10_000 },
  grpc_list_rps: { atLeast: 10_000 },
  grpc_get_album_list_4_rps: { atLeast: 4_000 },
  grpc_get_album_list_1000_rps: { atLeast: 340 },
  ratio_ingest_to_db_ceiling: { atLeast: 0.5 },
} as const satisfies Partial<Record<FigureName, { atLeast: number } | { atMost: number }>>;

export type TargetName = keyof typeof TARGETS;

/** The one JSON object a run prints last. */
export interface BenchResult extends Figures {
  readonly mode: ModeName;
  readonly started_at: string;
  readonly seconds: number;
  readonly machine: Machine;
  /** 1-minute load average [before, after] each measurement. */
  readonly load_1m: Readonly<Record<string, readonly [number, number]>>;
  /**
   * CPU milliseconds each process used during each measurement (the consumers alone: from
   * their first stored batch to their last). Less noisy than rates on a shared machine.
   */
  readonly cpu_ms: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The work each measurement did (albums, requests, calls, rows, records). */
  readonly units: Readonly<Record<string, number>>;
  /** `cpu_ms` per unit of work, in microseconds: what each process spent on one album or call. */
  readonly cpu_us_per_unit: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The program that generated each read measurement's load (wrk, h2load, autocannon, node-http2). */
  readonly load_generators?: Readonly<Record<string, string>>;
  /** Write requests per Kafka transaction, by write measurement (the REST API's metrics). */
  readonly publishes_per_round?: Readonly<Record<string, number>>;
  /**
   * CPU seconds the broker had used since it started when the write measurements began: under
   * `WARM_BROKER_CPU_S` its JIT was still compiling, and the write figures read low.
   */
  readonly broker_cpu_s_before_writes?: number;
  /** Whether each measured figure with a target met it. */
  readonly targets_met: Readonly<Partial<Record<TargetName, boolean>>>;
}

const rate = (n: number) => Math.round(n);
const ms = (n: number) => Math.round(n * 100) / 100;
const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b <= 0 ? undefined : Math.round((a / b) * 1000) / 1000;

/** Rounds the measurements into the figures and computes the ratios to the ceilings. */
export function toFigures(m: Measurements): Figures {
  const db = m.dbCeiling?.rowsPerSecond;
  const kafka = m.kafkaCeiling?.msgsPerSecond;
  const figures: Figures = {
    ingest_batch_albums_per_s: m.ingest && rate(m.ingest.albumsPerSecond),
    ingest_accepted_albums_per_s: m.ingest && rate(m.ingest.acceptedPerSecond),
    ingest_batch_size: m.ingest?.batchSize,
    post_single_rps: m.postSingle && rate(m.postSingle.rps),
    post_single_p50_ms: m.postSingle && ms(m.postSingle.latency.p50_ms),
    post_single_p99_ms: m.postSingle && ms(m.postSingle.latency.p99_ms),
    e2e_rate_albums_per_s: m.e2e && rate(m.e2e.acceptedPerSecond),
    e2e_p50_ms: m.e2e && ms(m.e2e.latency.p50_ms),
    e2e_p99_ms: m.e2e && ms(m.e2e.latency.p99_ms),
    e2e_max_ms: m.e2e && ms(m.e2e.latency.max_ms),
    e2e_record_to_upsert_p99_ms: m.e2e?.recordToUpsert && ms(m.e2e.recordToUpsert.p99_ms),
    e2e_post_p50_ms: m.e2e?.answered && ms(m.e2e.answered.p50_ms),
    e2e_post_p99_ms: m.e2e?.answered && ms(m.e2e.answered.p99_ms),
    consumer_platformatic_albums_per_s:
      m.consumerPlatformatic && rate(m.consumerPlatformatic.albumsPerSecond),
    consumer_confluent_albums_per_s:
      m.consumerConfluent && rate(m.consumerConfluent.albumsPerSecond),
    rest_list_rps: m.restList && rate(m.restList.rps),
    rest_list_p99_ms: m.restList && ms(m.restList.latency.p99_ms),
    grpc_list_rps: m.grpcList && rate(m.grpcList.rps),
    grpc_list_p99_ms: m.grpcList && ms(m.grpcList.latency.p99_ms),
    grpc_get_album_list_4_rps: m.grpcGetAlbumList4 && rate(m.grpcGetAlbumList4.rps),
    grpc_get_album_list_4_p99_ms: m.grpcGetAlbumList4 && ms(m.grpcGetAlbumList4.latency.p99_ms),
    grpc_get_album_list_1000_rps: m.grpcGetAlbumList1000 && rate(m.grpcGetAlbumList1000.rps),
    grpc_get_album_list_1000_p99_ms:
      m.grpcGetAlbumList1000 && ms(m.grpcGetAlbumList1000.latency.p99_ms),
    db_upsert_ceiling_rows_per_s: db === undefined ? undefined : rate(db),
    kafka_produce_ceiling_msgs_per_s: kafka === undefined ? undefined : rate(kafka),
    kafka_record_bytes: m.kafkaCeiling?.recordBytes,
    ratio_ingest_to_db_ceiling: ratio(m.ingest?.albumsPerSecond, db),
    ratio_ingest_to_kafka_ceiling: ratio(m.ingest?.albumsPerSecond, kafka),
    ratio_consumer_platformatic_to_db_ceiling: ratio(m.consumerPlatformatic?.albumsPerSecond, db),
    ratio_consumer_confluent_to_db_ceiling: ratio(m.consumerConfluent?.albumsPerSecond, db),
    ratio_post_single_to_kafka_ceiling: ratio(m.postSingle?.rps, kafka),
  };
  return Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as Figures;
}

/** Which measured figures meet their targets. */
export function targetsMet(figures: Figures): Partial<Record<TargetName, boolean>> {
  const met: Partial<Record<TargetName, boolean>> = {};
  for (const [name, target] of Object.entries(TARGETS) as [
    TargetName,
    { atLeast?: number; atMost?: number },
  ][]) {
    const value = figures[name];
    if (value === undefined) continue;
    met[name] =
      target.atLeast !== undefined ? value >= target.atLeast : value <= (target.atMost ?? 0);
  }
  return met;
}

/** The run's JSON object: context first, then the figures, loads and targets. */
export function shapeResult(
  m: Measurements,
  context: {
    readonly mode: ModeName;
    readonly startedAt: Date;
    readonly seconds: number;
    readonly machine: Machine;
    readonly loads: Readonly<Record<string, Load>>;
    readonly cpu?: Readonly<Record<string, Readonly<Record<string, number>>>>;
    readonly units?: Readonly<Record<string, number>>;
    readonly generators?: Readonly<Record<string, string>>;
    /** Publishes per Kafka transaction in each write measurement. */
    readonly rounds?: Readonly<Record<string, number>>;
    readonly brokerCpuBeforeWrites?: number | undefined;
  },
): BenchResult {
  const perUnit = cpuPerUnit(context.cpu ?? {}, context.units ?? {});
  const figures = { ...toFigures(m), ...cpuFigures(perUnit), ...readCpuFigures(perUnit) };
  return {
    mode: context.mode,
    started_at: context.startedAt.toISOString(),
    seconds: Math.round(context.seconds),
    ...figures,
    machine: context.machine,
    load_1m: Object.fromEntries(
      Object.entries(context.loads).map(([k, l]) => [k, [l.before, l.after] as const]),
    ),
    cpu_ms: context.cpu ?? {},
    units: context.units ?? {},
    cpu_us_per_unit: perUnit,
    ...(context.generators ? { load_generators: context.generators } : {}),
    ...(context.rounds ? { publishes_per_round: context.rounds } : {}),
    ...(context.brokerCpuBeforeWrites === undefined
      ? {}
      : { broker_cpu_s_before_writes: Math.round(context.brokerCpuBeforeWrites * 10) / 10 }),
    targets_met: targetsMet(figures),
  };
}

/** CPU microseconds per unit of work, by measurement and process, to one decimal. */
export function cpuPerUnit(
  cpu: Readonly<Record<string, Readonly<Record<string, number>>>>,
  units: Readonly<Record<string, number>>,
): Record<string, Record<string, number>> {
  const per: Record<string, Record<string, number>> = {};
  for (const [phase, byProcess] of Object.entries(cpu)) {
    const n = units[phase];
    if (!n) continue;
    per[phase] = Object.fromEntries(
      Object.entries(byProcess).map(([name, ms]) => [name, Math.round((ms * 10_000) / n) / 10]),
    );
  }
  return per;
}

/** The load's own processes: the bench and the load generator it ran. */
const LOAD = new Set(['bench', 'loadgen']);

/**
 * The write path's CPU per unit as figures of their own: the REST API's (`_cpu_us`), the
 * broker's (`_kafka_cpu_us`) and every server process's but the load generator's
 * (`_total_cpu_us`), per single POST, per ingested album and per end-to-end album.
 */
export function cpuFigures(
  perUnit: Readonly<Record<string, Readonly<Record<string, number>>>>,
): Figures {
  const figures: Figures = {};
  for (const phase of ['post_single', 'ingest', 'e2e'] as const) {
    const per = perUnit[phase];
    if (per === undefined) continue;
    const round = (n: number) => Math.round(n * 10) / 10;
    if (per.rest !== undefined) figures[`${phase}_cpu_us`] = per.rest;
    if (per.kafka !== undefined) figures[`${phase}_kafka_cpu_us`] = per.kafka;
    figures[`${phase}_total_cpu_us`] = round(
      Object.entries(per).reduce((sum, [name, us]) => (LOAD.has(name) ? sum : sum + us), 0),
    );
  }
  return figures;
}

/**
 * The read APIs' CPU per answer as figures of their own: the serving API's and PostgreSQL's
 * per page (REST, gRPC ListAlbums), the gRPC API's per GetAlbumList (4 albums; 1,000 apart).
 */
export function readCpuFigures(
  perUnit: Readonly<Record<string, Readonly<Record<string, number>>>>,
): Figures {
  return Object.fromEntries(
    (
      [
        ['rest_list_cpu_us', 'rest_list', 'rest'],
        ['rest_list_postgres_cpu_us', 'rest_list', 'postgres'],
        ['grpc_list_cpu_us', 'grpc_list', 'grpc'],
        ['grpc_list_postgres_cpu_us', 'grpc_list', 'postgres'],
        ['grpc_get_album_list_cpu_us', 'grpc_get_album_list_4', 'grpc'],
        ['grpc_get_album_list_1000_cpu_us', 'grpc_get_album_list_1000', 'grpc'],
      ] as const
    )
      .map(([figure, phase, process]) => [figure, perUnit[phase]?.[process]] as const)
      .filter(([, value]) => value !== undefined),
  );
}

/** Required figures that are missing or not a positive number. */
export function missingFigures(result: Figures): string[] {
  return REQUIRED_FIGURES.filter((name) => !isFigure(name, result[name]));
}

/**
 * A rate must be above 0; a latency may be 0: the end-to-end one counts a row stored before its
 * 202 arrived as 0 ms, and on a busy machine that can be most of them.
 */
export function isFigure(name: string, value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return name.endsWith('_ms') ? value >= 0 : value > 0;
}
