import * as hdr from 'hdr-histogram-js';

/** Latency percentiles of one measurement, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly max_ms: number;
}

export interface LatencyRecorder {
  /** Records one latency in milliseconds; negative values count as 0. */
  record(ms: number): void;
  summary(): LatencySummary;
}

// Values are kept in microseconds: HdrHistogram records integers, and sub-millisecond
// latencies matter at the low end.
const US_PER_MS = 1000;

/** An HdrHistogram of latencies with 3 significant digits, from 1 µs up to an hour. */
export function latencyRecorder(): LatencyRecorder {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600 * 1_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
  const at = (percentile: number) =>
    histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / US_PER_MS;
  return {
    record(ms) {
      histogram.recordValue(Math.max(0, Math.round(ms * US_PER_MS)));
    },
    summary() {
      return {
        count: histogram.totalCount,
        p50_ms: at(50),
        p90_ms: at(90),
        p99_ms: at(99),
        p999_ms: at(99.9),
        max_ms: histogram.totalCount === 0 ? 0 : histogram.maxValue / US_PER_MS,
      };
    },
  };
}

/** Events per second, or 0 when no time passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}
