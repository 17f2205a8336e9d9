// Measurements of a complete run and a machine, for the tests of the bench's pure parts.
import type { Machine } from '../../bench/machine.ts';
import type { Measurements } from '../../bench/result.ts';

export const latency = (p50: number, p99: number) => ({
  count: 1000,
  p50_ms: p50,
  p90_ms: p50,
  p99_ms: p99,
  p999_ms: p99,
  max_ms: p99,
});

export const complete: Measurements = {
  dbCeiling: { rowsPerSecond: 100_000.4 },
  kafkaCeiling: { msgsPerSecond: 400_000, recordBytes: 100 },
  consumerPlatformatic: { albumsPerSecond: 12_345.6 },
  consumerConfluent: { albumsPerSecond: 25_000 },
  ingest: { albumsPerSecond: 50_000, acceptedPerSecond: 60_000, batchSize: 1000 },
  postSingle: { rps: 20_500, latency: latency(4.123, 7.456) },
  e2e: { latency: latency(30, 39), acceptedPerSecond: 999.7 },
  restList: { rps: 4000, latency: latency(5, 10) },
  grpcList: { rps: 2500, latency: latency(8, 20) },
  grpcGetAlbumList4: { rps: 5000, latency: latency(3, 9) },
  grpcGetAlbumList1000: { rps: 400, latency: latency(60, 120) },
};

export const machine: Machine = {
  cores: 2,
  memory_gb: 23.5,
  cpu_model: 'Intel(R) Xeon(R) <Processor> & co',
  os: 'Linux',
  node: 'v24.21.0',
};
