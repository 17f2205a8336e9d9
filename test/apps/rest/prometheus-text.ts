// The tests read scrapes with the parser the CLI's status command uses.
export {
  metricValue,
  parseMetrics,
  type Sample,
  samplesOf,
} from '../../../src/adapters/metrics/prometheus-text.ts';
