// Idempotency-Key in process: the header's syntax, the body fingerprint, runOnce's decisions on a
// store double, and that a write without the header never touches the store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import {
  type Claim,
  fingerprintOf,
  type IdempotencyStore,
  idempotencyKeyOf,
  type KeyScope,
  keyHeaderOf,
  runOnce,
  type StoredAnswer,
} from '../../../src/apps/rest/idempotency.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';
import { log } from '../../support/stack.ts';

test('a key is 1 to 255 printable ASCII characters, bare or as a quoted string', () => {
  assert.equal(idempotencyKeyOf(undefined), undefined);
  assert.equal(idempotencyKeyOf('abc-123'), 'abc-123');
  assert.equal(idempotencyKeyOf('"abc-123"'), 'abc-123');
  assert.equal(idempotencyKeyOf('"a \\"quoted\\" \\\\ key"'), 'a "quoted" \\ key');
  assert.equal(idempotencyKeyOf('has inner spaces'), 'has inner spaces');
  assert.equal(idempotencyKeyOf('k'.repeat(255)), 'k'.repeat(255));
  assert.equal(idempotencyKeyOf(`"${'k'.repeat(255)}"`), 'k'.repeat(255));
  for (const bad of [
    '',
    '""',
    'k'.repeat(256),
    `"${'k'.repeat(256)}"`,
    'tab\there',
    'é',
    '"unterminated',
    '"bad \\n escape"',
    '"inner " quote"',
  ]) {
    assert.throws(
      () => idempotencyKeyOf(bad),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === ErrorCode.InvalidArgument &&
        err.message.includes('Idempotency-Key'),
      JSON.stringify(bad),
    );
  }
  assert.throws(() => idempotencyKeyOf(['a', 'b']), AppError);
});

test('a key header sent twice is refused, not joined into one key', () => {
  assert.equal(keyHeaderOf(['Host', 'h', 'Idempotency-Key', 'k']), 'k');
  assert.equal(keyHeaderOf(['Host', 'h']), undefined);
  const twice = keyHeaderOf(['idempotency-key', 'a', 'Host', 'h', 'IDEMPOTENCY-KEY', 'b']);
  assert.deepEqual(twice, ['a', 'b']);
  assert.throws(() => idempotencyKeyOf(twice), /sent once/);
});

test('the fingerprint ignores the order of fields but not their values or the albums order', () => {
  const a = fingerprintOf([{ title: 'T', artist: 'A', price: 1 }]);
  assert.deepEqual(fingerprintOf([{ price: 1, artist: 'A', title: 'T' }]), a);
  assert.notDeepEqual(fingerprintOf([{ title: 'T', artist: 'A', price: 2 }]), a);
  assert.notDeepEqual(
    fingerprintOf([
      { title: 'T', artist: 'A', price: 1 },
      { title: 'U', artist: 'A', price: 1 },
    ]),
    fingerprintOf([
      { title: 'U', artist: 'A', price: 1 },
      { title: 'T', artist: 'A', price: 1 },
    ]),
  );
  assert.equal(a.length, 32);
});

/** A store whose claim answers `found`, recording every call. */
function storeFinding(found: Claim) {
  const calls: string[] = [];
  const store: IdempotencyStore = {
    claim: async () => {
      calls.push('claim');
      return found;
    },
    complete: async () => void calls.push('complete'),
    release: async () => void calls.push('release'),
  };
  return { store, calls };
}

const scope: KeyScope = { key: 'k', method: 'POST', path: '/api/v1/albums' };
const body = [{ title: 'T', artist: 'A', price: 1 }];
const answer: StoredAnswer = { status: 202, headers: {}, body: [{ id: 7, ...body[0] }] };

test('runOnce: a new key writes and keeps the answer; a failed write frees the key', async () => {
  const fresh = storeFinding({ claimed: true });
  let writes = 0;
  const write = async () => {
    writes++;
    return answer;
  };
  assert.deepEqual(await runOnce(fresh.store, scope, body, write, log), {
    answer,
    replayed: false,
  });
  assert.deepEqual(fresh.calls, ['claim', 'complete']);
  assert.equal(writes, 1);

  const failing = storeFinding({ claimed: true });
  const unavailable = new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge');
  await assert.rejects(
    runOnce(failing.store, scope, body, () => Promise.reject(unavailable), log),
    unavailable,
  );
  assert.deepEqual(failing.calls, ['claim', 'release']);

  // A write that may have reached the log keeps its key: a retry must not write it again.
  const unsure = storeFinding({ claimed: true });
  const maybe = new AppError(ErrorCode.Unavailable, 'may still be stored');
  await assert.rejects(
    runOnce(
      unsure.store,
      scope,
      body,
      () => Promise.reject(maybe),
      log,
      (e) => e === maybe,
    ),
    maybe,
  );
  assert.deepEqual(unsure.calls, ['claim'], 'the key stays claimed');
});

test('runOnce: a held key replays its answer, or throws conflict while in flight, unprocessable for another body', async () => {
  const write = () => Promise.reject(new Error('must not write'));
  const fingerprint = fingerprintOf(body);
  const done = storeFinding({ claimed: false, fingerprint, answer });
  assert.deepEqual(await runOnce(done.store, scope, body, write, log), {
    answer,
    replayed: true,
  });
  assert.deepEqual(done.calls, ['claim']);

  const keyError = (code: ErrorCode) => (err: unknown) =>
    err instanceof AppError && err.code === code && /Idempotency-Key/.test(err.message);
  for (const seen of [fingerprint, null]) {
    const pending = storeFinding({ claimed: false, fingerprint: seen, answer: null });
    await assert.rejects(
      runOnce(pending.store, scope, body, write, log),
      keyError(ErrorCode.Conflict),
    );
    assert.deepEqual(pending.calls, ['claim']);
  }

  const other = storeFinding({ claimed: false, fingerprint, answer });
  await assert.rejects(
    runOnce(other.store, scope, [{ ...body[0], price: 2 }], write, log),
    keyError(ErrorCode.Unprocessable),
  );
  assert.deepEqual(other.calls, ['claim']);
});

test('a write without the header does not touch the store; a malformed header is a 400 naming it', async () => {
  const { store, calls } = storeFinding({ claimed: true });
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: async (n) => Array.from({ length: n }, (_, i) => 101 + i),
      publish: async () => {},
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    idempotencyKeys: store,
  });
  try {
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/album',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ title: 'T', artist: 'A', price: 1 }),
      });
    const plain = await post({});
    assert.equal(plain.statusCode, 202, plain.body);
    assert.deepEqual(calls, []);

    const bad = await post({ 'idempotency-key': 'é'.repeat(3) });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.headers['content-type'] as string, /^application\/problem\+json/);
    assert.match(bad.json<{ detail: string }>().detail, /Idempotency-Key/);
    assert.deepEqual(calls, []);

    const keyed = await post({ 'idempotency-key': '"k-1"' });
    assert.equal(keyed.statusCode, 202, keyed.body);
    assert.equal(keyed.headers.location, `/api/v1/albums/${keyed.json<{ id: number }>().id}`);
    assert.deepEqual(calls, ['claim', 'complete']);
  } finally {
    await app.close();
  }
});

test('a key in flight answers 409 with Retry-After, another body 422: the documented problems', async () => {
  const fingerprint = fingerprintOf([{ title: 'T', artist: 'A', price: 1 }]);
  let found: Claim = { claimed: false, fingerprint, answer: null };
  const store: IdempotencyStore = {
    claim: async () => found,
    complete: async () => {},
    release: async () => {},
  };
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: () => Promise.reject(new Error('must not write')),
      publish: () => Promise.reject(new Error('must not write')),
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    idempotencyKeys: store,
  });
  try {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const documented = (status: number): unknown => {
      const response = doc.paths['/api/v1/albums']?.post?.responses[String(status)] as {
        content: Record<string, { examples: Record<string, { value: unknown }> }>;
      };
      const examples = response.content['application/problem+json']?.examples ?? {};
      return Object.values(examples)[0]?.value;
    };
    const post = (price: number) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/albums',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-2' },
        payload: JSON.stringify([{ title: 'T', artist: 'A', price }]),
      });

    const inFlight = await post(1);
    assert.equal(inFlight.statusCode, 409, inFlight.body);
    assert.match(inFlight.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(inFlight.headers['retry-after'], '1');
    assert.deepEqual(inFlight.json(), documented(409));

    found = { claimed: false, fingerprint, answer };
    const reused = await post(2);
    assert.equal(reused.statusCode, 422, reused.body);
    assert.match(reused.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(reused.headers['retry-after'], undefined);
    assert.deepEqual(reused.json(), documented(422));
    assert.match(reused.json<{ detail: string }>().detail, /Idempotency-Key/);
  } finally {
    await app.close();
  }
});
