// The delete routes in process: what they publish (tombstones keyed like writes), their answers,
// and that their documented problem examples are what they answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import type { OutgoingMessage } from '../../../src/domain/events.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';
import { log } from '../../support/stack.ts';

async function appWith(publish: (messages: readonly OutgoingMessage[]) => Promise<void>) {
  const app = await buildRestApp({
    log,
    intake: { allocateIds: () => Promise.reject(new Error('no ids here')), publish },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  return app;
}

type Problem = { status: number };
type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<
          string,
          { content?: Record<string, { examples?: Record<string, { value: Problem }> }> }
        >;
      }
    >
  >;
};

const exampleOf = (doc: Doc, path: string, method: string, status: number) =>
  Object.values(
    doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/problem+json']
      ?.examples ?? {},
  )[0]?.value;

test('DELETE /api/v1/albums/{id} publishes one tombstone keyed by the id and answers 202', async (t) => {
  const sent: OutgoingMessage[] = [];
  const app = await appWith(async (messages) => void sent.push(...messages));
  t.after(() => app.close());
  const res = await app.inject({
    method: 'DELETE',
    url: '/api/v1/albums/-7',
    headers: { 'x-request-id': 'req-del' },
  });
  assert.equal(res.statusCode, 202, res.body);
  assert.deepEqual(res.json(), { id: -7 });
  assert.deepEqual(sent, [{ key: '-7', value: null, headers: { 'x-request-id': 'req-del' } }]);
});

test('the batch delete publishes every id once, in one publish (one transaction)', async (t) => {
  const publishes: (readonly OutgoingMessage[])[] = [];
  const app = await appWith(async (messages) => void publishes.push(messages));
  t.after(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/albums:delete',
    payload: { ids: [3, 1, 3, 2] },
  });
  assert.equal(res.statusCode, 202, res.body);
  assert.deepEqual(res.json(), { ids: [3, 1, 2] });
  assert.equal(publishes.length, 1);
  assert.deepEqual(
    publishes[0]?.map((m) => [m.key, m.value]),
    [
      ['3', null],
      ['1', null],
      ['2', null],
    ],
  );
});

test('a Kafka failure is 503, and the error answers are the documented examples', async (t) => {
  const app = await appWith(() =>
    Promise.reject(new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge the message')),
  );
  t.after(() => app.close());
  const doc = (await app.inject({ url: '/openapi.json' })).json<Doc>();
  const batch = '/api/v1/albums:delete';
  const json = (body: unknown) => ({
    method: 'POST' as const,
    url: batch,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  const cases = [
    ['/api/v1/albums/{id}', 'delete', 400, { method: 'DELETE', url: '/api/v1/albums/0' }],
    ['/api/v1/albums/{id}', 'delete', 503, { method: 'DELETE', url: '/api/v1/albums/42' }],
    [batch, 'post', 400, json({ ids: [5, 0] })],
    [batch, 'post', 413, json({ ids: Array.from({ length: 1001 }, (_, i) => i + 1) })],
    [
      batch,
      'post',
      415,
      { method: 'POST', url: batch, headers: { 'content-type': 'text/plain' }, payload: '{}' },
    ],
    [batch, 'post', 503, json({ ids: [42] })],
  ] as const;
  for (const [path, method, status, request] of cases) {
    const res = await app.inject(request);
    assert.equal(res.statusCode, status, `${method} ${path}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const expected = exampleOf(doc, path, method, status);
    assert.ok(expected, `${method} ${path} ${status} is documented`);
    assert.deepEqual(res.json(), expected, `${method} ${path} ${status}`);
  }
  for (const bad of ['/api/v1/albums/2147483648', '/api/v1/albums/x']) {
    const res = await app.inject({ method: 'DELETE', url: bad });
    assert.equal(res.statusCode, 400, bad);
  }
  const empty = await app.inject(json({ ids: [] }));
  assert.equal(empty.statusCode, 400);
});
