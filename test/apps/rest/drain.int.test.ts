// The REST process on SIGTERM: a request already in flight is still answered (and its album is on
// the topic) while new connections are refused, then the process exits 0.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservedPort } from '../../../infra/reserved-ports.ts';
import { decodeAlbum } from '../../../src/domain/album-codec.ts';
import { readTopic, uniqueName, waitFor } from '../../support/stack.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** A POST whose body arrives in two parts, the second only when `finish` is called. */
function slowPost(port: number, body: string) {
  const half = Math.floor(body.length / 2);
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/album',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
  });
  request.write(body.slice(0, half));
  return { answer, finish: () => request.end(body.slice(half)) };
}

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
  });

test('SIGTERM drains a request in flight: it is answered 202 and published, then the process exits 0', async (t) => {
  const topic = uniqueName('drain');
  // Below the ephemeral range: an outgoing connection of another test cannot hold it.
  const port = await reservedPort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(root, 'src', 'apps', 'rest', 'main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        REST_PORT: String(port),
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: `${topic}.dlq`,
        // Its request log (incoming requests are logged at debug) tells when the server has the
        // request in hand.
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // A child's start-up takes seconds on a quiet machine, more when the cores are shared.
  await waitFor(
    'the REST API to answer',
    async () => {
      // A process that died will never answer: say why at once instead of waiting out the time.
      if (child.exitCode !== null) assert.fail(`the REST API exited ${child.exitCode}:\n${log}`);
      return (await connects(port)) ? true : undefined;
    },
    120_000,
  ).catch((err: unknown) => assert.fail(`${String(err)}\n${log.slice(-4000)}`));

  const title = `Drained ${uniqueName('album')}`;
  const post = slowPost(port, JSON.stringify({ title, artist: 'Drain', price: 7.5 }));
  await waitFor('the server to have the request in hand', async () =>
    /"msg":"incoming request".*"url":"\/api\/v1\/album"|"url":"\/api\/v1\/album".*"msg":"incoming request"/.test(
      log,
    )
      ? true
      : undefined,
  );
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await waitFor('new connections to be refused', async () =>
    (await connects(port)) ? undefined : true,
  );
  post.finish();

  const answer = await post.answer;
  assert.equal(answer.status, 202, answer.body);
  const accepted = JSON.parse(answer.body) as { id: number; title: string };
  assert.equal(accepted.title, title);
  const [code] = await exited;
  assert.equal(code, 0);

  const [record] = await readTopic(topic, 1);
  const decoded = decodeAlbum(record?.value ?? null);
  assert.ok(decoded.ok, 'the drained album is on the topic');
  assert.deepEqual(decoded.album, { id: accepted.id, title, artist: 'Drain', priceCents: 750n });
});
