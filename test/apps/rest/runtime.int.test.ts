// The runtimes src/apps/rest/main.ts and src/apps/consumer/main.ts start (test/apps/main-files
// checks they do), together as in production: an album POSTed to the REST API is published,
// stored by the consumer, whose NOTIFY after the store reaches the REST API's live event stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notifyStored } from '../../../src/adapters/db/album-events.ts';
import { createConsumerRuntime } from '../../../src/apps/consumer/runtime.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  log,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';

test('an album POSTed to the REST runtime comes back on its event stream once the consumer runtime stored it', {
  timeout: 180_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const sql = testSql(1);
  defer(() => sql.end({ timeout: 5 }));
  const { topic, dlq } = await freshTopics('runtime-events');
  const settings = configWith({
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: uniqueName('runtime-events'),
    KAFKA_CLIENT_ID: uniqueName('runtime-events'),
  });
  // As main.ts calls them: nothing but the configuration and the logger.
  const rest = await createRestRuntime(settings, { log });
  defer(() => rest.close());
  const consumer = await createConsumerRuntime(settings, 'platformatic', { log });
  defer(async () => {
    await consumer.close();
    await consumer.stopped;
  });
  const base = `http://${rest.address.host}:${rest.address.port}`;

  // Readiness sees the consumer runtime's group, on the same settings.
  await waitFor(
    'the REST API to be ready, its consumer group stable',
    async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
    120_000,
  );

  const events = await fetch(`${base}/api/v1/events`);
  assert.equal(events.status, 200);
  const reader = events.body?.getReader();
  assert.ok(reader);
  defer(() => reader.cancel());
  // Read in the background; the checks below look at what arrived so far.
  const decoder = new TextDecoder();
  let stream = '';
  void (async () => {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      stream += decoder.decode(chunk.value, { stream: true });
  })().catch(() => {});
  // The stream listens once a notification of the test's own comes through it.
  const [marker] = idBlock(1);
  await waitFor('the event stream to listen', async () => {
    if (stream.includes(`"ids":[${marker}]`)) return true;
    await notifyStored(sql, [marker as number]);
    return undefined;
  });

  const title = `Live ${uniqueName('album')}`;
  const posted = await fetch(`${base}/api/v1/album`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, artist: 'The Runtimes', price: 12.5 }),
  });
  assert.equal(posted.status, 202, await posted.clone().text());
  const { id } = (await posted.json()) as { id: number };

  const storedEvent = new RegExp(`event: stored\\ndata: \\{"ids":\\[[\\d,]*\\b${id}\\b`);
  await waitFor(`album ${id} on the event stream`, async () =>
    storedEvent.test(stream) ? true : undefined,
  );
  const stored = await fetch(`${base}/api/v1/albums/${id}`);
  assert.equal(stored.status, 200);
  assert.deepEqual(await stored.json(), { id, title, artist: 'The Runtimes', price: 12.5 });
});
