// The REST app without backends, for tests of what it serves rather than what it stores.
import { buildRestApp } from '../../src/apps/rest/app.ts';
import type { Readiness } from '../../src/apps/rest/routes/health.ts';
import { log } from './stack.ts';

/** The REST API with an empty catalogue that refuses writes, and the readiness given. */
export function buildOfflineRestApp(readiness: Readiness = { ready: true, checks: {} }) {
  return buildRestApp({
    log,
    intake: {
      allocateIds: () => Promise.reject(new Error('no writes here')),
      publish: () => Promise.reject(new Error('no writes here')),
    },
    albums: { list: async () => ({ items: [], next: null }), get: async () => null },
    readiness: async () => readiness,
  });
}
