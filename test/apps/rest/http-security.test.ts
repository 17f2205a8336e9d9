// The REST API's HTTP-layer defences: security headers and a CSP the UI and the docs work under,
// CORS closed unless configured, rate limiting with 429 problems, and server timeouts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { buildRestApp, HTTP_TIMEOUTS, type RestDeps } from '../../../src/apps/rest/app.ts';
import type { HttpSecurity } from '../../../src/apps/rest/http-security.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';
import { log } from '../../support/stack.ts';

const UI_DIR = resolve(import.meta.dirname, '..', '..', '..', 'ui', 'dist');

/** The app on ports that answer at once: these tests are about the HTTP layer around them. */
function appWith(security?: HttpSecurity, more: Partial<RestDeps> = {}) {
  return buildRestApp({
    log,
    intake: {
      allocateIds: async (count) => Array.from({ length: count }, (_, i) => 800_000_000 + i),
      publish: async () => {},
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    security,
    ...more,
  });
}

const header = (value: unknown) => (value === undefined ? undefined : String(value));

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}

test('every answer carries security headers and a CSP with no inline script or style', async (t) => {
  const app = await appWith();
  t.after(() => app.close());
  for (const url of ['/api/v1/albums', '/api/v1/albums/42', '/no/such/route', '/healthz']) {
    const res = await app.inject({ method: 'GET', url });
    const csp = header(res.headers['content-security-policy']);
    assert.ok(csp, `${url} has a CSP`);
    const d = directives(csp);
    assert.deepEqual(d.get('default-src'), ["'self'"], url);
    assert.deepEqual(d.get('script-src'), ["'self'"], url);
    assert.deepEqual(d.get('style-src'), ["'self'"], url);
    assert.deepEqual(d.get('object-src'), ["'none'"], url);
    assert.deepEqual(d.get('frame-ancestors'), ["'none'"], url);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.ok(!d.has('upgrade-insecure-requests'), 'the service speaks plain HTTP');
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
    assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', url);
    assert.equal(res.headers['x-powered-by'], undefined, url);
    assert.equal(res.headers['access-control-allow-origin'], undefined, `${url}: no CORS`);
  }
  // A refused write too: the error handler keeps the headers the hook set.
  const refused = await app.inject({ method: 'POST', url: '/api/v1/album', payload: { title: 1 } });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.ok(header(refused.headers['content-security-policy']), 'a 400 has a CSP');
  assert.equal(refused.headers['x-frame-options'], 'SAMEORIGIN');
});

test('the built UI and the Swagger UI load only their own scripts and styles, so they work under the CSP', async (t) => {
  assert.ok(existsSync(join(UI_DIR, 'index.html')), 'npm test builds the UI first');
  const app = await appWith(undefined, { uiDir: UI_DIR });
  t.after(() => app.close());

  for (const page of ['/', '/docs/']) {
    const res = await app.inject({ method: 'GET', url: page });
    assert.equal(res.statusCode, 200, page);
    const d = directives(String(res.headers['content-security-policy']));
    assert.deepEqual(d.get('script-src'), ["'self'"], page);
    // The Swagger UI's bundle sets a few inline styles; the UI sets none.
    assert.deepEqual(
      d.get('style-src'),
      page === '/' ? ["'self'"] : ["'self'", "'unsafe-inline'"],
      page,
    );
    const html = res.body;
    // No inline script, handler or style: each would be blocked.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0, `${page} has scripts`);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /\bsrc=/, `${page}: an inline script`);
      assert.equal(body?.trim(), '', `${page}: an inline script body`);
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, `${page}: inline style or handler`);
    // Every file it names is served by the app itself.
    const base = new URL(page, 'http://app.test');
    for (const [, ref] of html.matchAll(/\b(?:src|href)="([^"]+)"/g)) {
      if (!ref || ref.startsWith('data:')) continue;
      const url = new URL(ref, base);
      assert.equal(url.host, 'app.test', `${page} loads ${ref} from elsewhere`);
      const asset = await app.inject({ method: 'GET', url: url.pathname });
      assert.equal(asset.statusCode, 200, `${page}: ${url.pathname}`);
    }
  }
});

test('CORS is closed by default: no cross-origin page may call the API', async (t) => {
  const app = await appWith({ rateLimitMax: 0, rateLimitWindowMs: 60_000, corsOrigins: [] });
  t.after(() => app.close());
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/album',
    headers: {
      origin: 'http://elsewhere.test',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(preflight.headers['access-control-allow-methods'], undefined);
  const get = await app.inject({
    method: 'GET',
    url: '/api/v1/albums',
    headers: { origin: 'http://elsewhere.test' },
  });
  assert.equal(get.statusCode, 200);
  assert.equal(get.headers['access-control-allow-origin'], undefined);
});

test('CORS_ORIGINS opens the API to those origins only, the event stream included', async (t) => {
  const allowed = 'http://ui.example.test:8080';
  const app = await appWith({ rateLimitMax: 0, rateLimitWindowMs: 60_000, corsOrigins: [allowed] });
  t.after(() => app.close());
  const preflight = (origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/api/v1/album',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  const ok = await preflight(allowed);
  assert.equal(ok.statusCode, 204);
  assert.equal(ok.headers['access-control-allow-origin'], allowed);
  assert.match(String(ok.headers['access-control-allow-methods']), /POST/);
  const other = await preflight('http://elsewhere.test');
  assert.equal(other.headers['access-control-allow-origin'], undefined);

  const post = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    headers: { origin: allowed, 'content-type': 'application/json' },
    payload: JSON.stringify({ title: 'Blue Train', artist: 'John Coltrane', price: 56.99 }),
  });
  assert.equal(post.statusCode, 202, post.body);
  assert.equal(post.headers['access-control-allow-origin'], allowed);
  assert.match(String(post.headers['access-control-expose-headers']), /location/);
  const list = await app.inject({
    method: 'GET',
    url: '/api/v1/albums',
    headers: { origin: allowed },
  });
  const exposed = String(list.headers['access-control-expose-headers']).split(/,\s*/);
  for (const name of ['link', 'x-total-count', 'x-total-count-estimated', 'etag']) {
    assert.ok(exposed.includes(name), `${name} is readable cross-origin`);
  }

  // The event stream writes its own head; the CORS header must still be on it.
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const abort = new AbortController();
  const events = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
    headers: { origin: allowed },
    signal: abort.signal,
  });
  try {
    assert.equal(events.status, 200);
    assert.match(String(events.headers.get('content-type')), /^text\/event-stream/);
    assert.equal(events.headers.get('access-control-allow-origin'), allowed);
    assert.ok(events.headers.get('content-security-policy'), 'helmet headers too');
  } finally {
    abort.abort();
    await events.body?.cancel().catch(() => {});
  }
});

test('past RATE_LIMIT_MAX a client gets 429 problem+json with Retry-After; probes are never limited', async (t) => {
  const app = await appWith({ rateLimitMax: 3, rateLimitWindowMs: 60_000, corsOrigins: [] });
  t.after(() => app.close());
  const get = (url: string, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url, remoteAddress });

  for (let i = 1; i <= 3; i++) {
    const res = await get('/api/v1/albums');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-ratelimit-limit'], '3');
    assert.equal(res.headers['x-ratelimit-remaining'], String(3 - i));
  }
  for (const url of ['/api/v1/albums', '/api/v1/albums/1', '/openapi.json']) {
    const limited = await get(url);
    assert.equal(limited.statusCode, 429, url);
    assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `${retryAfter}`);
    const problem = limited.json<{ type: string; status: number; detail: string }>();
    assert.equal(problem.type, '/problems/rate-limited');
    assert.equal(problem.status, 429);
    assert.match(problem.detail, /At most 3 requests per 60 s/);
  }
  // Writes count against the same budget.
  const write = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    remoteAddress: '127.0.0.1',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ title: 'T', artist: 'A', price: 1 }),
  });
  assert.equal(write.statusCode, 429);

  // Probes go through whatever the client did (scrapes have a port of their own).
  for (let i = 0; i < 10; i++) {
    for (const url of ['/healthz', '/readyz']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, `${url} is not limited`);
      assert.equal(res.headers['x-ratelimit-limit'], undefined, url);
    }
  }
  // The limit is per client address.
  assert.equal((await get('/api/v1/albums', '127.0.0.2')).statusCode, 200);
});

test('with RATE_LIMIT_EXEMPT_LOOPBACK, loopback clients are never limited and others still are', async (t) => {
  const app = await appWith({
    rateLimitMax: 2,
    rateLimitWindowMs: 60_000,
    rateLimitExemptLoopback: true,
    corsOrigins: [],
  });
  t.after(() => app.close());
  const get = (remoteAddress: string) =>
    app.inject({ method: 'GET', url: '/api/v1/albums', remoteAddress });
  for (const local of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
    for (let i = 0; i < 5; i++) assert.equal((await get(local)).statusCode, 200, local);
  }
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get('192.0.2.7')).statusCode);
  assert.deepEqual(statuses, [200, 200, 429], 'a client elsewhere is limited');
});

test('RATE_LIMIT_MAX=0 turns rate limiting off', async (t) => {
  const app = await appWith({ rateLimitMax: 0, rateLimitWindowMs: 1000, corsOrigins: [] });
  t.after(() => app.close());
  for (let i = 0; i < 200; i++) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/albums' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-ratelimit-limit'], undefined);
  }
});

test('the HTTP server has a deadline for every phase of a connection', async (t) => {
  const app = await appWith();
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const server = app.server;
  assert.equal(server.requestTimeout, HTTP_TIMEOUTS.requestTimeout, 'a whole request');
  // Headers are part of the request, so they are due within its deadline at the latest.
  assert.ok(
    Math.min(server.headersTimeout || Infinity, server.requestTimeout) <= 30_000,
    'headers',
  );
  assert.equal(server.timeout, HTTP_TIMEOUTS.connectionTimeout, 'an idle socket');
  assert.equal(server.keepAliveTimeout, HTTP_TIMEOUTS.keepAliveTimeout, 'an idle keep-alive');
  // The event stream's heartbeat is well inside the idle-socket deadline.
  assert.ok(15_000 * 2 < server.timeout);
});
