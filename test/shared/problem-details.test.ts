import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProblem, readProblem } from '../../src/shared/problem-details.ts';

test('a problem document gives its detail and its field problems', () => {
  const problem = parseProblem(400, {
    type: '/problems/invalid-argument',
    title: 'Invalid request',
    detail: 'The request body is invalid',
    status: 400,
    errors: [
      { pointer: '/0/price', detail: 'must be >= 0' },
      { pointer: '/title', detail: 'is required' },
    ],
  });
  assert.deepEqual(problem, {
    status: 400,
    message: 'The request body is invalid',
    fields: [
      { pointer: '/0/price', detail: 'must be >= 0' },
      { pointer: '/title', detail: 'is required' },
    ],
  });
});

test('the title stands in for a missing detail; malformed parts are left out', () => {
  const problem = parseProblem(503, {
    title: 'Service unavailable',
    detail: 42,
    errors: [
      null,
      'x',
      { pointer: '/id' },
      { pointer: 1, detail: 'd' },
      { pointer: '', detail: '' },
    ],
  });
  assert.deepEqual(problem, {
    status: 503,
    message: 'Service unavailable',
    fields: [{ pointer: '', detail: '' }],
  });
  assert.deepEqual(parseProblem(400, { errors: { pointer: '/id', detail: 'd' } }).fields, []);
});

const problemJson = (body: unknown, status: number, type = 'application/problem+json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

test('a body that is no problem document gives only the status', async () => {
  for (const body of [null, 'text', 7, [], {}]) {
    assert.deepEqual(parseProblem(502, body), { status: 502, message: undefined, fields: [] });
  }
  const html = await readProblem(new Response('<html>Bad gateway</html>', { status: 502 }));
  assert.deepEqual(html, { status: 502, message: undefined, fields: [] });
  const json = await readProblem(problemJson({ detail: 'Not found' }, 404));
  assert.deepEqual(json, { status: 404, message: 'Not found', fields: [] });
  const charset = 'Application/Problem+JSON; charset=utf-8';
  const withParameters = await readProblem(problemJson({ title: 'Gone' }, 410, charset));
  assert.equal(withParameters.message, 'Gone');
  const broken = await readProblem(
    new Response('{"detail":', {
      status: 400,
      headers: { 'content-type': 'application/problem+json' },
    }),
  );
  assert.deepEqual(broken, { status: 400, message: undefined, fields: [] });
});

test('only a problem+json body is read: an album answered with an error status is no message', async () => {
  const album = { id: 7, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
  const problem = await readProblem(Response.json(album, { status: 500 }));
  assert.deepEqual(problem, { status: 500, message: undefined, fields: [] });
  const detail = await readProblem(Response.json({ detail: 'looks like one' }, { status: 400 }));
  assert.equal(detail.message, undefined);
});
