// The metrics server (src/adapters/http/metrics-server.ts) on a loopback port, over a source that
// counts its collections: one path, the bearer token, and one collection per burst of scrapes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get } from 'node:http';
import { type TestContext, test } from 'node:test';
import {
  type MetricsServer,
  type MetricsSource,
  startMetricsServer,
} from '../../../src/adapters/http/metrics-server.ts';
import { createLogger } from '../../../src/shared/logger.ts';

const log = createLogger('test', 'silent');
const TOKEN = 'a-scrape-token-of-32-characters!';

/** A source whose collections wait for `release()`, counted. */
function gatedSource(): MetricsSource & { collections: number; release(): void } {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const source = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    collections: 0,
    async metrics() {
      source.collections++;
      await gate;
      return `music_test_collections ${source.collections}\n`;
    },
    release() {
      open();
      gate = Promise.resolve();
    },
  };
  return source;
}

async function serve(
  t: TestContext,
  source: MetricsSource,
  token?: string,
): Promise<MetricsServer> {
  const server = await startMetricsServer({ source, host: '127.0.0.1', port: 0, token, log });
  t.after(() => server.close());
  return server;
}

test('serves the source at /metrics with its content type, and nothing else', async (t) => {
  const source = gatedSource();
  source.release();
  const server = await serve(t, source);
  assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
  assert.ok(server.port > 0);

  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), source.contentType);
  assert.equal(await res.text(), 'music_test_collections 1\n');
  assert.equal((await fetch(`${server.url}?x=1`)).status, 200, 'a query string is ignored');

  const head = await fetch(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  for (const path of ['/', '/metrics/', '/healthz', '/api/v1/albums']) {
    const other = await fetch(`http://127.0.0.1:${server.port}${path}`);
    assert.equal(other.status, 404, path);
    await other.body?.cancel();
  }
  const post = await fetch(server.url, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal(source.collections, 3, 'only the GETs and the HEAD collected');
});

test('with a token, a scrape without it or with another one gets 401 and collects nothing', async (t) => {
  const source = gatedSource();
  source.release();
  const server = await serve(t, source, TOKEN);
  const scrape = (authorization?: string) =>
    fetch(server.url, authorization === undefined ? {} : { headers: { authorization } });

  for (const wrong of [
    undefined,
    '',
    TOKEN,
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN.slice(0, -1)}`,
    `Bearer ${TOKEN}x`,
    'Bearer x',
  ]) {
    const res = await scrape(wrong);
    assert.equal(res.status, 401, `authorization: ${wrong}`);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    await res.body?.cancel();
  }
  assert.equal(source.collections, 0);
  const right = await scrape(`Bearer ${TOKEN}`);
  assert.equal(right.status, 200);
  assert.equal(await right.text(), 'music_test_collections 1\n');
});

test('200 concurrent scrapes during one collection share it', async (t) => {
  const source = gatedSource();
  const server = await serve(t, source);
  const sent: Promise<unknown>[] = [];
  const scrapes = Array.from({ length: 200 }, () => {
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    const request = get(server.url, { agent: false }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    });
    request.on('error', reject);
    sent.push(once(request, 'finish'));
    return promise;
  });
  // Every request is written, and read by the server in this same process, while the first
  // collection is held open.
  await Promise.all(sent);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(source.collections, 1);
  source.release();
  const texts = await Promise.all(scrapes);
  assert.equal(source.collections, 1);
  assert.deepEqual(new Set(texts), new Set(['music_test_collections 1\n']));
  // Once it is over, the next scrape collects afresh.
  assert.equal(await (await fetch(server.url)).text(), 'music_test_collections 2\n');
});

test('a failing collection answers 500 and the next scrape collects again', async (t) => {
  let calls = 0;
  const server = await serve(t, {
    contentType: 'text/plain',
    async metrics() {
      calls++;
      if (calls === 1) throw new Error('collector broke');
      return 'ok 1\n';
    },
  });
  const failed = await fetch(server.url);
  assert.equal(failed.status, 500);
  assert.doesNotMatch(await failed.text(), /collector broke/, 'the cause stays in the log');
  assert.equal((await fetch(server.url)).status, 200);
});

test('a port in use is an error at start', async (t) => {
  const source = gatedSource();
  const first = await serve(t, source);
  await assert.rejects(
    startMetricsServer({ source, host: '127.0.0.1', port: first.port, log }),
    /EADDRINUSE/,
  );
});
