// The CLI's REST client against a local HTTP server that answers as scripted: any 2xx is success,
// only problem+json is shown as a problem, and 503s are retried under one Idempotency-Key.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  type AlbumApiClient,
  createAlbumApiClient,
} from '../../../src/adapters/http/album-api-client.ts';
import { retryAfterMs } from '../../../src/adapters/http/answers.ts';
import { describeFailure, ExitCode } from '../../../src/apps/cli/failure.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const json = (status: number, value: unknown, type = 'application/json'): Answer => ({
  status,
  headers: { 'content-type': type },
  body: JSON.stringify(value),
});

const FAST = { retries: 3, minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 };

/** A server giving `answers` in turn (the last one again when they run out), and a client of it. */
async function serve(
  t: TestContext,
  answers: readonly Answer[],
): Promise<{ api: AlbumApiClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = answers[Math.min(seen.length, answers.length) - 1] as Answer;
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const api = createAlbumApiClient({
    baseUrl: `http://127.0.0.1:${port}`,
    timeoutMs: 5000,
    retry: FAST,
  });
  return { api, seen };
}

const blueTrain = { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };

/** The error `work` rejects with, which must be an AppError. */
async function failureOf(work: Promise<unknown>): Promise<AppError> {
  const err: unknown = await work.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, String(err));
  return err;
}

test('a 201 with a JSON body is success: the album as answered', async (t) => {
  const { api, seen } = await serve(t, [json(201, { id: 7, ...blueTrain })]);
  assert.deepEqual(await api.writeOne('POST', blueTrain), { id: 7, ...blueTrain });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.method, 'POST');
  assert.equal(seen[0]?.url, '/api/v1/album');
  assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), blueTrain);
});

test('any 2xx is success, whatever its body: the albums as sent when it does not echo them', async (t) => {
  const { api } = await serve(t, [
    { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' },
    { status: 204 },
    json(201, [{ id: 8, ...blueTrain }]),
  ]);
  assert.deepEqual(await api.writeOne('PUT', { id: 5, ...blueTrain }), { id: 5, ...blueTrain });
  assert.deepEqual(await api.writeBatch('POST', [blueTrain]), [{ id: null, ...blueTrain }]);
  assert.deepEqual(await api.writeBatch('POST', [blueTrain]), [{ id: 8, ...blueTrain }]);
});

test('a 400 problem+json: its detail and field problems, printed on one line, exit 2', async (t) => {
  const problem = {
    type: '/problems/invalid-argument',
    title: 'Invalid request',
    status: 400,
    detail: 'The request body is invalid',
    instance: '/api/v1/albums',
    errors: [
      { pointer: '/0/title', detail: 'must not be blank' },
      { pointer: '/1/price', detail: 'must be >= 0' },
    ],
  };
  const { api, seen } = await serve(t, [json(400, problem, 'application/problem+json')]);
  const err = await failureOf(api.writeBatch('POST', [blueTrain, blueTrain]));
  assert.equal(err.code, ErrorCode.InvalidArgument);
  assert.deepEqual(err.fields, problem.errors);
  const printed = describeFailure(err);
  assert.equal(
    printed.line,
    'the REST API answered 400: The request body is invalid ' +
      '(/0/title must not be blank; /1/price must be >= 0)',
  );
  assert.equal(printed.exitCode, ExitCode.Usage);
  assert.equal(seen.length, 1, 'a refusal is not retried');
});

test('a 500 text/html body: only the status, not retried', async (t) => {
  const page = '<html><body><h1>Oops</h1><script>alert(1)</script></body></html>';
  const { api, seen } = await serve(t, [
    { status: 500, headers: { 'content-type': 'text/html' }, body: page },
  ]);
  const err = await failureOf(api.writeOne('POST', blueTrain));
  assert.equal(err.message, 'the REST API answered 500: Internal Server Error');
  assert.equal(err.code, ErrorCode.Internal);
  assert.equal(describeFailure(err).exitCode, ExitCode.Failure);
  assert.equal(seen.length, 1);
});

test('an error answered with an album as plain JSON does not pass its title off as the error', async (t) => {
  const { api } = await serve(t, [json(502, { id: 7, ...blueTrain })]);
  const err = await failureOf(api.writeOne('POST', blueTrain));
  assert.equal(err.message, 'the REST API answered 502: Bad Gateway');
});

test('a 503 then a 202: success, both requests under the same Idempotency-Key', async (t) => {
  const unavailable = json(
    503,
    { status: 503, detail: 'Kafka is unavailable' },
    'application/problem+json',
  );
  const { api, seen } = await serve(t, [unavailable, json(202, { id: 9, ...blueTrain })]);
  assert.deepEqual(await api.writeOne('POST', blueTrain), { id: 9, ...blueTrain });
  assert.equal(seen.length, 2);
  const [first, second] = seen.map((s) => s.headers['idempotency-key']);
  assert.match(
    String(first),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(second, first, 'the retry repeats the key');
  assert.equal(seen[1]?.body, seen[0]?.body, 'and the body');

  await api.writeOne('POST', blueTrain);
  assert.notEqual(seen[2]?.headers['idempotency-key'], first, 'another write, another key');
});

test('409 (the key in flight) and 429 are retried too; Retry-After is waited', async (t) => {
  const { api, seen } = await serve(t, [
    json(409, { detail: 'in flight' }, 'application/problem+json'),
    { status: 429, headers: { 'retry-after': '1' } },
    json(202, [{ id: 10, ...blueTrain }]),
  ]);
  const started = performance.now();
  assert.deepEqual(await api.writeBatch('PUT', [{ id: 10, ...blueTrain }]), [
    { id: 10, ...blueTrain },
  ]);
  assert.ok(performance.now() - started >= 950, 'waited the second Retry-After asked for');
  assert.equal(new Set(seen.map((s) => s.headers['idempotency-key'])).size, 1);
  assert.equal(seen.length, 3);
});

test('503 on every attempt: unavailable (exit 4) after the retries', async (t) => {
  const { api, seen } = await serve(t, [{ status: 503 }]);
  const err = await failureOf(api.writeOne('POST', blueTrain));
  assert.equal(err.message, 'the REST API answered 503: Service Unavailable');
  assert.equal(describeFailure(err).exitCode, ExitCode.Unavailable);
  assert.equal(seen.length, FAST.retries + 1);
});

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs('3', now), 3000);
  assert.equal(retryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
  assert.equal(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});
