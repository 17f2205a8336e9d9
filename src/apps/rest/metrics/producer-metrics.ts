import { Counter, type Registry } from 'prom-client';
import type { PublishOutcome } from '../../../adapters/kafka/publisher.ts';

/** Counts the records a publisher got acknowledged, or not, per topic; hand it to the publisher. */
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
  return ({ topic, records, acknowledged }) =>
    (acknowledged ? produced : failed).inc({ topic }, records);
}
