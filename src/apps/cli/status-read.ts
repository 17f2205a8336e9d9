import type { Sql } from '../../adapters/db/client.ts';
import { withDeadline } from '../../adapters/kafka/deadline.ts';
import type { GroupProbe } from '../../adapters/kafka/group-probe.ts';
import { parseMetrics, samplesOf } from '../../adapters/metrics/prometheus-text.ts';
import { type Config, METRICS_PORTS, type MetricsProcess } from '../../shared/config.ts';
import { reachable } from '../probe/check.ts';
import { grpcServing } from '../probe/grpc-serving.ts';
import { restAlive } from '../probe/rest-alive.ts';

/** One process of the service, as its health route or its metrics answered. */
export interface ServiceStatus {
  readonly name: MetricsProcess;
  readonly up: boolean;
  /** Where it was asked: the API's address, or the metrics URL for a consumer. */
  readonly endpoint: string;
  /** What it answered, or why it did not. */
  readonly detail: string;
  /** Whether its /metrics answered (a consumer's health is its metrics). */
  readonly metrics: boolean;
  /** A consumer's partitions of the topic, from its own metrics. */
  readonly partitions?: readonly number[];
}

/** Where the group stands on one partition of the album topic. */
export interface PartitionStatus {
  readonly partition: number;
  readonly committed: string | null;
  readonly end: string;
  readonly lag: number;
  /** The consumer process whose metrics say it holds the partition, if one of ours does. */
  readonly heldBy: string | null;
}

/** Everything `music status` shows, read from the real endpoints at `at`. */
export interface StatusReport {
  readonly at: string;
  readonly services: readonly ServiceStatus[];
  readonly group: {
    readonly id: string;
    readonly state: string | null;
    readonly members: number | null;
    readonly hosts: readonly string[];
    /** Partitions each member holds, as `hosts` lists the members. */
    readonly assigned: readonly number[];
    readonly error?: string;
  };
  readonly topic: string;
  readonly partitions: readonly PartitionStatus[] | null;
  /** Records of the topic the group has not committed yet, over every partition. */
  readonly lag: number | null;
  /** Records ever written to the dead-letter topic (the sum of its end offsets). */
  readonly dlq: {
    readonly topic: string;
    readonly records: number | null;
    readonly error?: string;
  };
  readonly database: { readonly albums: number | null; readonly error?: string };
}

/** What the status reads through: the caller's, kept open across `--watch` refreshes. */
export interface StatusSources {
  readonly config: Config;
  readonly probe: GroupProbe;
  readonly sql: Sql;
  /** How long each endpoint may take to answer. */
  readonly timeoutMs: number;
}

const messageOf = (err: unknown): string => {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
};

/**
 * The metrics URL of each process: `npm start` gives them consecutive ports from METRICS_PORT in
 * the order of METRICS_PORTS, which are also their defaults, so the same offsets find both.
 */
export function metricsUrlOf(config: Config, name: MetricsProcess): string {
  const port = config.METRICS_PORT + (METRICS_PORTS[name] - METRICS_PORTS.rest);
  return `http://${reachable(config.METRICS_HOST)}:${port}/metrics`;
}

/** A scrape of one process, or the reason there was none. */
async function scrape(
  config: Config,
  name: MetricsProcess,
  signal: AbortSignal,
): Promise<{ ok: true; text: string } | { ok: false; detail: string }> {
  const url = metricsUrlOf(config, name);
  try {
    const headers: Record<string, string> = config.METRICS_TOKEN
      ? { authorization: `Bearer ${config.METRICS_TOKEN}` }
      : {};
    const response = await fetch(url, { signal, headers });
    if (!response.ok) return { ok: false, detail: `metrics answered ${response.status}` };
    return { ok: true, text: await response.text() };
  } catch (err: unknown) {
    return { ok: false, detail: messageOf(err) };
  }
}

async function apiService(
  s: StatusSources,
  name: 'rest' | 'grpc',
  signal: AbortSignal,
): Promise<ServiceStatus> {
  const check = name === 'rest' ? restAlive : grpcServing;
  const host = name === 'rest' ? s.config.REST_HOST : s.config.GRPC_HOST;
  const port = name === 'rest' ? s.config.REST_PORT : s.config.GRPC_PORT;
  const endpoint = `http://${reachable(host)}:${port}`;
  const [health, metrics] = await Promise.all([
    check(s.config, signal).catch((err: unknown) => ({ ok: false, detail: messageOf(err) })),
    scrape(s.config, name, signal),
  ]);
  return { name, up: health.ok, endpoint, detail: health.detail, metrics: metrics.ok };
}

async function consumerService(
  s: StatusSources,
  name: 'consumer-platformatic' | 'consumer-confluent',
  signal: AbortSignal,
): Promise<ServiceStatus> {
  const endpoint = metricsUrlOf(s.config, name);
  const scraped = await scrape(s.config, name, signal);
  if (!scraped.ok) return { name, up: false, endpoint, detail: scraped.detail, metrics: false };
  const held = samplesOf(parseMetrics(scraped.text), 'music_consumer_assigned_partitions', {
    topic: s.config.KAFKA_TOPIC,
  })
    .map((sample) => Number(sample.labels.partition))
    .sort((a, b) => a - b);
  const detail = held.length === 0 ? 'holds no partition' : `holds ${held.join(',')}`;
  return { name, up: true, endpoint, detail, metrics: true, partitions: held };
}

/** Reads every part of the status at once, each bounded by the timeout; none fails the whole. */
export async function readStatus(s: StatusSources): Promise<StatusReport> {
  const signal = AbortSignal.timeout(s.timeoutMs);
  const bounded = <T>(work: Promise<T>) =>
    withDeadline(work, s.timeoutMs, `no answer within ${s.timeoutMs} ms`);
  const { config } = s;
  const [services, group, progress, dlqEnds, albums] = await Promise.all([
    Promise.all([
      apiService(s, 'rest', signal),
      apiService(s, 'grpc', signal),
      consumerService(s, 'consumer-platformatic', signal),
      consumerService(s, 'consumer-confluent', signal),
    ]),
    settle(bounded(s.probe.describe(config.KAFKA_GROUP_ID))),
    settle(bounded(s.probe.progress(config.KAFKA_GROUP_ID, config.KAFKA_TOPIC))),
    settle(bounded(s.probe.endOffsets(config.KAFKA_DLQ_TOPIC))),
    settle(
      bounded(
        s.sql<{ n: string }[]>`select count(*)::text as n from music.albums`.then(([row]) =>
          Number(row?.n ?? 0),
        ),
      ),
    ),
  ]);
  const holder = new Map<number, string>();
  for (const service of services)
    for (const p of service.partitions ?? []) holder.set(p, service.name);
  const partitions = progress.ok
    ? progress.value.map((p) => {
        const from = p.committed ?? p.start;
        return {
          partition: p.partition,
          committed: p.committed === null ? null : String(p.committed),
          end: String(p.end),
          lag: p.end > from ? Number(p.end - from) : 0,
          heldBy: holder.get(p.partition) ?? null,
        };
      })
    : null;
  return {
    at: new Date().toISOString(),
    services,
    group: group.ok
      ? { id: config.KAFKA_GROUP_ID, ...group.value }
      : {
          id: config.KAFKA_GROUP_ID,
          state: null,
          members: null,
          hosts: [],
          assigned: [],
          error: group.error,
        },
    topic: config.KAFKA_TOPIC,
    partitions,
    lag: partitions === null ? null : partitions.reduce((sum, p) => sum + p.lag, 0),
    dlq: dlqEnds.ok
      ? { topic: config.KAFKA_DLQ_TOPIC, records: sum(dlqEnds.value.values()) }
      : { topic: config.KAFKA_DLQ_TOPIC, records: null, error: dlqEnds.error },
    database: albums.ok ? { albums: albums.value } : { albums: null, error: albums.error },
  };
}

const sum = (values: Iterable<bigint>): number => {
  let total = 0n;
  for (const v of values) total += v;
  return Number(total);
};

async function settle<T>(
  work: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await work };
  } catch (err: unknown) {
    return { ok: false, error: messageOf(err) };
  }
}
