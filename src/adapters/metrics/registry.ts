import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one metrics registry of a process, with Node's own metrics (CPU, memory, event loop, GC)
 * under the `music_` prefix. A registry of our own rather than prom-client's global one, so
 * that several apps in one test process never count into each other.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'music_' });
  return registry;
}

export type { Registry };
