import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Registry } from 'prom-client';

export interface MetricsDeps {
  readonly registry: Registry;
}

const EXAMPLE = `# HELP http_requests_total HTTP requests answered, by method, route pattern (\`unmatched\` for none) and status
# TYPE http_requests_total counter
http_requests_total{method="POST",route="/api/v1/album",status="202"} 3
# HELP music_consumer_lag Records on each partition the consumer group has not committed yet
# TYPE music_consumer_lag gauge
music_consumer_lag{topic="music.albums",partition="0"} 0
`;

/** Prometheus metrics of this process, in the text exposition format. */
export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsDeps> = async (app, { registry }) => {
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description:
        'HTTP, produce and database-pool metrics of this process, Node runtime metrics, and ' +
        'the offsets, lag and members of the consumer group and the dead-letter count, read ' +
        'from Kafka (cached 2 s; empty, with music_kafka_up 0, while Kafka does not answer). ' +
        'Consumer throughput: sum(rate(music_consumer_committed_offset[1m])).',
      response: {
        200: {
          description: 'Prometheus text exposition format 0.0.4',
          content: {
            [registry.contentType]: { schema: Type.String(), example: EXAMPLE },
          },
        },
      },
    },
    // Scrapes every few seconds would drown the log, and must never be rate limited.
    logLevel: 'warn',
    config: { rateLimit: false },
    handler: async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
  });
};
