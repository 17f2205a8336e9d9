// Read-your-writes on request: `Prefer: wait=N` on POST/PUT /api/v1/album answers 201 with the
// album as stored once a consumer stored it (its notification), or 202 when the wait ends first.
// The REST runtime and a consumer runtime on a fresh topic, as src/apps/*/main.ts start them.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { RestApp } from '../../../src/apps/rest/app.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import type { Album } from '../../../src/domain/album.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import { configWith, freshTopics, idBlock, log, uniqueName } from '../../support/stack.ts';
import { startConsumer } from '../consumer/support.ts';

async function startStack(t: TestContext, label: string, consume: boolean): Promise<RestApp> {
  const { topic, dlq } = await freshTopics(label);
  const defer = cleanupStack(t);
  const settings = configWith({
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_CLIENT_ID: uniqueName(label),
  });
  const rest = await createRestRuntime(settings, { log, createTopics: false });
  defer(() => rest.close());
  if (consume) {
    startConsumer(t, { client: 'platformatic', topic, dlq, groupId: uniqueName(`${label}-group`) });
  }
  return rest.app;
}

const write = (app: RestApp, method: 'POST' | 'PUT', album: object, prefer?: string) =>
  app.inject({
    method,
    url: '/api/v1/album',
    headers: { 'content-type': 'application/json', ...(prefer ? { prefer } : {}) },
    payload: JSON.stringify(album),
  });

test('Prefer: wait answers 201 with the album as stored once a consumer stored it', async (t) => {
  const app = await startStack(t, 'ryw-stored', true);
  const sent = { title: 'Moanin', artist: 'Art Blakey', price: 12.345 };
  const created = await write(app, 'POST', sent, 'wait=10');
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.headers['preference-applied'], 'wait=10');
  const album = created.json<Album>();
  assert.deepEqual(album, { id: album.id, title: 'Moanin', artist: 'Art Blakey', price: 12.35 });
  assert.equal(created.headers.location, `/api/v1/albums/${album.id}`);
  // Readable at once: the 201 came after the row was stored.
  const read = await app.inject({ method: 'GET', url: created.headers.location as string });
  assert.equal(read.statusCode, 200);
  assert.deepEqual(read.json(), album);

  // A replacement waits for its own version, not the row already there.
  const [id] = idBlock(1);
  const first = await write(app, 'PUT', { id, title: 'One', artist: 'A', price: 1 }, 'wait=10');
  assert.equal(first.statusCode, 201, first.body);
  const second = await write(
    app,
    'PUT',
    { id, title: 'Two', artist: 'A', price: 2 },
    'respond-async, wait=10',
  );
  assert.equal(second.statusCode, 201, second.body);
  assert.deepEqual(second.json(), { id, title: 'Two', artist: 'A', price: 2 });
});

test('without a consumer, Prefer: wait answers 202 when the wait ends; without it, at once', async (t) => {
  const app = await startStack(t, 'ryw-none', false);
  const started = Date.now();
  const waited = await write(app, 'POST', { title: 'Lost', artist: 'Nobody' }, 'wait=1');
  const took = Date.now() - started;
  assert.equal(waited.statusCode, 202, waited.body);
  assert.equal(waited.headers['preference-applied'], 'wait=1');
  assert.ok(took >= 950 && took < 5000, `waited ${took} ms`);
  const { id } = waited.json<Album>();
  // Accepted but not stored: its Location answers 404 until a consumer stores it.
  const missing = await app.inject({ method: 'GET', url: `/api/v1/albums/${id}` });
  assert.equal(missing.statusCode, 404);

  const plain = await write(app, 'POST', { title: 'Quick', artist: 'Nobody' });
  assert.equal(plain.statusCode, 202, plain.body);
  assert.equal(plain.headers['preference-applied'], undefined);
});
