// The bound, measured: a flood of invalid and rate-limited requests through the app, logged
// by the services' own logger, must stay under 5 MB of log in 30 s. A 3 s flood is projected to
// 30 s by ten (generous: each window's full lines are paid at its start), and the lines are
// bounded by the kinds of rejection, not the requests, which fails without sampling however
// slow this machine is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import { REJECTION_SAMPLING } from '../../../src/apps/rest/rejection-log.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';

const FLOOD_MS = 3_000;
const ACCEPTANCE_BYTES_PER_30_S = 5 * 1024 * 1024;

test('a 3 s flood of invalid requests projects to under 5 MB of log per 30 s', async (t) => {
  let bytes = 0;
  let lines = 0;
  const log = createLogger('rest', 'info', {
    destination: {
      write: (line: string) => {
        bytes += Buffer.byteLength(line);
        lines++;
      },
    },
  });
  const app = await buildRestApp({
    log,
    intake: { allocateIds: async () => [], publish: async () => {} },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    security: { rateLimitMax: 100, rateLimitWindowMs: 1_000, corsOrigins: [] },
  });
  t.after(() => app.close());
  const long = 'q'.repeat(4 * 1024);
  const json = { 'content-type': 'application/json' };
  const invalid: InjectOptions[] = [
    { method: 'POST', url: '/api/v1/album', payload: '{"title":', headers: json },
    {
      method: 'POST',
      url: '/api/v1/album',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    },
    { method: 'POST', url: '/api/v1/album', payload: '{"price":"free"}', headers: json },
    { method: 'GET', url: `/nothing?${long}`, headers: { 'user-agent': long } },
    { method: 'GET', url: `/api/v1/albums?limit=${long}` },
  ];
  const statuses = new Map<number, number>();
  const kinds = new Set<string>();
  let sent = 0;
  const deadline = Date.now() + FLOOD_MS;
  // Sixteen clients at once, in process: the logging path is the server's, without sockets, so
  // that a busy machine still sends thousands of requests.
  const client = async (offset: number) => {
    for (let i = offset; Date.now() < deadline; i++) {
      const res = await app.inject(invalid[i % invalid.length] ?? {});
      sent++;
      kinds.add(`${res.statusCode} ${i % invalid.length}`);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, i) => client(i)));
  await app.close();
  await new Promise((resolve) => setImmediate(resolve));

  const seen = [...statuses].map(([s, n]) => `${s}×${n}`).join(' ');
  assert.ok(
    [...statuses.keys()].every((s) => s >= 400 && s < 500),
    seen,
  );
  assert.ok((statuses.get(429) ?? 0) > 0, `the rate limiter answered too: ${seen}`);
  const perRequest = bytes / sent;
  t.diagnostic(
    `${sent} requests (${seen}): ${lines} lines, ${bytes} bytes of log, ${perRequest.toFixed(1)} per request`,
  );
  // Within one window each kind of rejection (status, route) logs at most perWindow requests of
  // two lines, and one count at close: a bound that does not grow with the flood.
  assert.ok(FLOOD_MS < REJECTION_SAMPLING.windowMs);
  const bound = kinds.size * (2 * REJECTION_SAMPLING.perWindow + 1);
  assert.ok(sent > bound, `the flood is larger than what may be logged: ${sent} requests`);
  assert.ok(lines <= bound, `${lines} lines for ${sent} requests of ${kinds.size} kinds`);
  assert.ok(
    bytes * (30_000 / FLOOD_MS) < ACCEPTANCE_BYTES_PER_30_S,
    `${bytes} bytes in ${FLOOD_MS / 1000} s`,
  );
});
