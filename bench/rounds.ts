import { parseMetrics, samplesOf } from '../src/adapters/metrics/prometheus-text.ts';

/** Publishes and produce rounds (Kafka transactions) the REST API's publisher has counted. */
export interface RoundTotals {
  readonly publishes: number;
  readonly rounds: number;
}

/** Scrapes the REST API's `music_produce_round_publishes`, summed over topics. */
export async function roundTotals(metricsUrl: string): Promise<RoundTotals> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${metricsUrl} answered ${res.status}`);
  const samples = parseMetrics(await res.text());
  const sum = (name: string) =>
    samplesOf(samples, name).reduce((total, sample) => total + sample.value, 0);
  return {
    publishes: sum('music_produce_round_publishes_sum'),
    rounds: sum('music_produce_round_publishes_count'),
  };
}

/**
 * Publishes per round between two readings, to one decimal: how many write requests each
 * transaction served, which sets the broker's CPU per request. Undefined when no round ended.
 */
export function publishesPerRound(before: RoundTotals, after: RoundTotals): number | undefined {
  const rounds = after.rounds - before.rounds;
  if (rounds <= 0) return undefined;
  return Math.round(((after.publishes - before.publishes) / rounds) * 10) / 10;
}
