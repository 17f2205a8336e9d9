import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQuiet } from '../../infra/run-quiet.ts';
import {
  javaClientProperties,
  type KafkaConnection,
  propertiesText,
} from '../../src/adapters/kafka/connection.ts';

export interface KafkaCeiling {
  readonly msgsPerSecond: number;
  readonly mbPerSecond: number;
  readonly records: number;
  readonly recordBytes: number;
  readonly avgLatencyMs: number;
  readonly p99LatencyMs: number;
  /** Records sent: the work the CPU figures cover. */
  readonly units: number;
}

/** The tool's closing line: "N records sent, R records/sec (M MB/sec), A ms avg latency, …". */
const SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th)?/;

/** Reads the figures from ProducerPerformance's output (its last summary line). */
export function parseProducerPerformance(output: string, recordBytes: number): KafkaCeiling | null {
  const lines = output.split('\n').filter((l) => SUMMARY.test(l));
  const m = SUMMARY.exec(lines.at(-1) ?? '');
  if (m === null) return null;
  return {
    records: Number(m[1]),
    msgsPerSecond: Number(m[2]),
    mbPerSecond: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    p99LatencyMs: Number(m[8] ?? m[5]),
    recordBytes,
    units: Number(m[1]),
  };
}

/**
 * The broker's own produce ceiling, from Kafka's kafka-producer-perf-test
 * (org.apache.kafka.tools.ProducerPerformance, from the jars the broker runs on): as many records
 * as it can send of our records' size, with acks=all like our producer, otherwise the Java
 * producer's defaults.
 */
export async function measureKafkaCeiling(o: {
  readonly libs: string;
  readonly kafka: KafkaConnection;
  readonly topic: string;
  readonly records: number;
  readonly recordBytes: number;
}): Promise<KafkaCeiling> {
  const dir = await mkdtemp(join(tmpdir(), 'music-ceiling-'));
  const config = join(dir, 'producer.properties');
  await writeFile(config, propertiesText({ ...javaClientProperties(o.kafka), acks: 'all' }), {
    mode: 0o600,
  });
  const args = [
    '-Xms256m',
    '-Xmx512m',
    '-cp',
    join(o.libs, '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    o.topic,
    '--num-records',
    String(o.records),
    '--record-size',
    String(o.recordBytes),
    '--throughput',
    '-1',
    // A file: --producer-props splits on every '=', which a SASL login line holds.
    '--producer.config',
    config,
  ];
  const { code, out, stdout } = await runQuiet('java', args).finally(() =>
    rm(dir, { recursive: true, force: true }),
  );
  const parsed = code === 0 ? parseProducerPerformance(stdout, o.recordBytes) : null;
  if (parsed) return parsed;
  const tail = out.trim().split('\n').slice(-3).join(' | ');
  throw new Error(`ProducerPerformance failed (exit ${code}): ${tail}`);
}
