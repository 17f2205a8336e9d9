import { Counter, Histogram, type Registry } from 'prom-client';
import type { PublishOutcome } from '../../../adapters/kafka/publisher.ts';

/**
 * Counts the records a publisher got acknowledged, or not, per topic, and how many publishes each
 * round (one Kafka transaction) carried; hand it to the publisher. A transaction costs the broker
 * far more than its records, so publishes per round is what PRODUCE_ROUND_SPACING_MS tunes.
 */
export function producerMetrics(registry: Registry): (outcome: PublishOutcome) => void {
  const produced = new Counter({
    name: 'music_messages_produced_total',
    help: 'Records the broker acknowledged (acks=all), by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const failed = new Counter({
    name: 'music_produce_failures_total',
    help: 'Records the broker did not acknowledge in time (the request answered 503), by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const rounds = new Histogram({
    name: 'music_produce_round_publishes',
    help: 'Publishes (write requests) per produce round, one Kafka transaction, by topic',
    labelNames: ['topic'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  return ({ topic, records, publishes, acknowledged }) => {
    (acknowledged ? produced : failed).inc({ topic }, records);
    rounds.observe({ topic }, publishes);
  };
}
