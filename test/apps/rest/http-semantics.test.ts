// HTTP semantics of the REST API in process: 405 with Allow for a known URL asked with another
// method, problem+json for requests Node's parser refuses (431, 400) on a real socket,
// compression as the client accepts it, and cache headers of the UI's files.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildOfflineRestApp } from '../../support/rest-app.ts';

let app: Awaited<ReturnType<typeof buildOfflineRestApp>>;

before(async () => {
  app = await buildOfflineRestApp();
  await app.listen({ host: '127.0.0.1', port: 0 });
});

after(() => app?.close());

test('a known URL with a method it lacks answers 405 problem+json with Allow', async () => {
  const cases: [string, string, string][] = [
    ['POST', '/api/v1/albums/42', 'GET, HEAD, DELETE'],
    ['PATCH', '/api/v1/albums/42', 'GET, HEAD, DELETE'],
    ['DELETE', '/api/v1/albums', 'GET, HEAD, POST, PUT'],
    ['GET', '/api/v1/album', 'POST, PUT'],
    ['GET', '/api/v1/albums:delete', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ];
  for (const [method, url, allow] of cases) {
    // A body the route could not parse still gets the 405: the method is refused first.
    const res = await app.inject({
      method: method as 'POST',
      url,
      headers: { 'content-type': 'text/plain' },
      payload: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.equal(res.statusCode, 405, `${method} ${url}: ${res.body}`);
    assert.equal(res.headers.allow, allow, `${method} ${url}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const problem = res.json<{ status: number; type: string; detail: string }>();
    assert.equal(problem.status, 405);
    assert.equal(problem.type, '/problems/method-not-allowed');
    assert.match(problem.detail, new RegExp(`^${method} is not allowed here`));
  }
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/nothing' });
  assert.equal(unknown.statusCode, 404, 'an unknown URL stays a 404');
  const head = await app.inject({ method: 'HEAD', url: '/healthz' });
  assert.equal(head.statusCode, 200, 'HEAD of a GET route is served');
});

/** What the server answers to `request` written on a raw socket, until it closes. */
function raw(request: string): Promise<string> {
  const { port } = app.server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(request);
  });
}

test("requests Node's parser refuses answer problem+json: 431 and 400", async () => {
  const big = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(big, /\r\nContent-Type: application\/problem\+json\r\n/i);
  const bigProblem = JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)) as { status: number };
  assert.equal(bigProblem.status, 431);

  const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const problem = JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)) as {
    status: number;
    type: string;
  };
  assert.deepEqual([problem.status, problem.type], [400, '/problems/invalid-argument']);
});

test('answers of 1 KiB or more are compressed as the client accepts; small ones never', async () => {
  const plain = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(plain.headers['content-encoding'], undefined, 'nothing accepted, nothing encoded');
  assert.ok(plain.rawPayload.length > 10_000);
  const cases: [string, string, (b: Buffer) => Buffer][] = [
    ['br', 'gzip, deflate, br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
  ];
  for (const [encoding, accept, decode] of cases) {
    const res = await app.inject({
      method: 'GET',
      url: '/openapi.json',
      headers: { 'accept-encoding': accept },
    });
    assert.equal(res.headers['content-encoding'], encoding, accept);
    assert.match(String(res.headers.vary), /accept-encoding/i);
    assert.ok(res.rawPayload.length < plain.rawPayload.length / 3, `${encoding} is smaller`);
    assert.equal(decode(res.rawPayload).toString(), plain.body, `${encoding} decodes to the same`);
  }
  const small = await app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'accept-encoding': 'gzip, br' },
  });
  assert.equal(small.headers['content-encoding'], undefined, 'below the threshold');
  const refused = await app.inject({
    method: 'GET',
    url: '/openapi.json',
    headers: { 'accept-encoding': 'identity' },
  });
  assert.equal(refused.headers['content-encoding'], undefined);
});

test("the UI's hashed assets are immutable for a year; index.html is revalidated", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'music-ui-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>music</title>');
  await writeFile(join(dir, 'assets', 'index-0HJMMyvZ.js'), 'console.log(1)');
  await writeFile(join(dir, 'assets', 'logo.svg'), '<svg/>');
  const ui = await buildOfflineRestApp(undefined, dir);
  t.after(() => ui.close());
  const asset = await ui.inject({ method: 'GET', url: '/assets/index-0HJMMyvZ.js' });
  assert.equal(asset.statusCode, 200);
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  for (const url of ['/', '/index.html', '/assets/logo.svg']) {
    const res = await ui.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
  }
});
