// What a request costs the logs: a URL as long as Node takes (16 KB of request line) leaves
// lines of bounded size, access line and problem alike.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { clip } from '../../../src/apps/rest/access-log.ts';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';

test('clip keeps short text and says how long a long one was', () => {
  assert.equal(clip('/api/v1/albums'), '/api/v1/albums');
  assert.equal(clip('abcdef', 3), 'abc… (6 characters)');
});

/** The API on an empty catalogue, logging at `level` into `lines`. */
async function loggingApp(t: TestContext, level: string, lines: string[]) {
  const log = pino({ level }, { write: (line: string) => void lines.push(line) });
  const app = await buildRestApp({
    log,
    intake: { allocateIds: async () => [], publish: async () => {} },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  t.after(() => app.close());
  return app;
}

test('a 15 KB URL logs at most 2 KB per line, at every level', async (t) => {
  const lines: string[] = [];
  const app = await loggingApp(t, 'debug', lines);
  const long = `/api/v1/nothing-here?${'q'.repeat(15 * 1024)}`;
  const listed = `/api/v1/albums?artist=${'a'.repeat(15 * 1024)}`;

  const missing = await app.inject({ method: 'GET', url: long });
  const refused = await app.inject({ method: 'GET', url: listed });

  assert.equal(missing.statusCode, 404);
  assert.equal(refused.statusCode, 400, refused.body);
  assert.ok(lines.length >= 4, `the requests were logged: ${lines.length} lines`);
  for (const line of lines)
    assert.ok(line.length <= 2048, `${line.length} bytes: ${line.slice(0, 300)}`);
  assert.ok(
    lines.some((l) => / \(15\d{3} characters\)/.test(l)),
    'the clipped URL says its length',
  );
});

test('an answered request logs one access line with its id, method, URL and status; a route that logs warnings only logs none', async (t) => {
  const lines: string[] = [];
  const app = await loggingApp(t, 'info', lines);

  const listed = await app.inject({
    method: 'GET',
    url: '/api/v1/albums',
    headers: { 'x-request-id': 'access-line-1' },
  });
  const live = await app.inject({ method: 'GET', url: '/healthz' });

  assert.equal(listed.statusCode, 200, listed.body);
  assert.equal(live.statusCode, 200, live.body);
  const access = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request completed');
  assert.equal(access.length, 1, lines.join(''));
  const [line = {}] = access;
  assert.equal(line.reqId, 'access-line-1');
  assert.deepEqual(
    { method: (line.req as { method?: string })?.method, url: (line.req as { url?: string })?.url },
    { method: 'GET', url: '/api/v1/albums' },
  );
  assert.deepEqual(line.res, { statusCode: 200 });
  assert.equal(typeof line.responseTime, 'number');
});
