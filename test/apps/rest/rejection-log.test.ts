// Which lines a rejected request leaves: a few in full per kind and window, then a count; server
// faults and accepted writes every time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { buildRestApp, type RestDeps } from '../../../src/apps/rest/app.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  suppressed?: number;
  moreFields?: number;
  fields?: unknown[];
}

async function appLogging(
  t: { after: (fn: () => Promise<unknown>) => void },
  o: Partial<RestDeps> = {},
) {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: async (n) => Array.from({ length: n }, (_, i) => i + 1),
      publish: async () => {},
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    rejectionSampling: { perWindow: 3, windowMs: 60_000 },
    ...o,
  });
  t.after(() => app.close());
  return { app, lines };
}

const invalid = { method: 'POST', url: '/api/v1/album', payload: { price: 'free' } } as const;

test('repeated 400s on a route are logged three times in full, then counted once', async (t) => {
  const { app, lines } = await appLogging(t);
  for (let i = 0; i < 20; i++) assert.equal((await app.inject(invalid)).statusCode, 400);
  const completed = lines.filter((l) => l.msg === 'request completed');
  const problems = lines.filter((l) => l.msg === 'The request body is invalid');
  assert.equal(completed.length, 3);
  assert.equal(problems.length, 3, 'the error handler agrees with the access line');
  assert.deepEqual(
    problems.map((l) => l.reqId),
    completed.map((l) => l.reqId),
    'each logged line keeps its request id',
  );
  await app.close();
  const summary = lines.find((l) => l.suppressed !== undefined);
  assert.equal(summary?.suppressed, 17);
  assert.match(summary?.msg ?? '', /^17 more 400s on POST \/api\/v1\/album in the last \d+ s$/);
  assert.equal(summary?.level, 40, 'a flood is a warning');
});

test('each status and route has its own allowance; unknown URLs share one', async (t) => {
  const { app, lines } = await appLogging(t);
  for (let i = 0; i < 5; i++) {
    await app.inject(invalid);
    await app.inject({ method: 'GET', url: `/nothing/${i}` });
    await app.inject({ method: 'GET', url: '/api/v1/albums?limit=-1' });
  }
  const completed = lines.filter((l) => l.msg === 'request completed');
  assert.equal(completed.length, 9, 'three of each kind');
  await app.close();
  const counts = lines.filter((l) => l.suppressed !== undefined).map((l) => l.msg);
  assert.equal(counts.length, 3, counts.join('\n'));
  assert.ok(
    counts.some((m) => m.startsWith('2 more 404s on GET (no route)')),
    counts.join('\n'),
  );
});

test('server faults and accepted writes are always logged', async (t) => {
  let fail = true;
  const { app, lines } = await appLogging(t, {
    intake: {
      allocateIds: async (n) => Array.from({ length: n }, (_, i) => i + 1),
      publish: async () => {
        if (fail) throw new Error('broker down');
      },
    },
  });
  const album = {
    method: 'POST',
    url: '/api/v1/album',
    payload: { title: 't', artist: 'a' },
  } as const;
  for (let i = 0; i < 8; i++) assert.ok((await app.inject(album)).statusCode >= 500);
  fail = false;
  for (let i = 0; i < 8; i++) assert.equal((await app.inject(album)).statusCode, 202);
  const completed = lines.filter(
    (l) => l.msg === 'request completed' || l.msg === 'request errored',
  );
  assert.equal(completed.length, 16);
  assert.equal(lines.filter((l) => l.level >= 50).length >= 8, true, 'each fault at error');
});

test('a body of many unknown fields logs ten of them and how many more', async (t) => {
  const { app, lines } = await appLogging(t);
  const payload = Object.fromEntries(
    Array.from({ length: 3000 }, (_, i) => [`f${i}${'x'.repeat(300)}`, 1]),
  );
  const res = await app.inject({ method: 'POST', url: '/api/v1/album', payload });
  assert.equal(res.statusCode, 400);
  const problem = lines.find((l) => l.moreFields !== undefined);
  assert.equal(problem?.fields?.length, 10);
  assert.ok((problem?.moreFields ?? 0) >= 2990);
  for (const line of lines) assert.ok(JSON.stringify(line).length < 8192);
});
