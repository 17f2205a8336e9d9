import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The label of requests that matched no route: raw URLs would make the label set unbounded. */
const UNMATCHED = 'unmatched';

/**
 * Counts every answered request by method, route pattern and status, and times it by route.
 * Returns the `onResponse` hook to add to the root instance.
 */
export function httpMetrics(
  registry: Registry,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (`unmatched` for none) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    // Up to the produce timeout (10 s) and the request timeout (30 s).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  };
}
