// GET /api/v1/events in process: one LISTEN fanned out to every stream, heartbeats, clean close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { albumEventRoutes } from '../../../src/apps/rest/routes/album-events.ts';

async function reader(url: string) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const body = res.body?.getReader();
  assert.ok(body);
  const decoder = new TextDecoder();
  let text = '';
  return {
    /** Reads until the stream holds `pattern`. */
    async until(pattern: RegExp): Promise<string> {
      while (!pattern.test(text)) {
        const { value, done } = await body.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    async ended(): Promise<boolean> {
      for (;;) if ((await body.read()).done) return true;
    },
    cancel: () => body.cancel(),
  };
}

test('stored ids reach every stream from one LISTEN, with heartbeats, until the app closes', async () => {
  let listens = 0;
  let unlistened = false;
  let push: (ids: number[]) => void = () => {};
  const app = Fastify();
  await app.register(albumEventRoutes, {
    heartbeatMs: 50,
    events: async (onIds) => {
      listens++;
      push = onIds;
      return async () => {
        unlistened = true;
      };
    },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  const first = await reader(`${base}/api/v1/events`);
  const second = await reader(`${base}/api/v1/events`);
  await first.until(/retry: 3000/);
  await second.until(/retry: 3000/);
  push([42, 43]);
  for (const stream of [first, second]) {
    assert.match(
      await stream.until(/event: stored/),
      /event: stored\ndata: \{"ids":\[42,43\]\}\n\n/,
    );
  }
  assert.match(await first.until(/: heartbeat/), /: heartbeat\n\n/);
  assert.equal(listens, 1, 'one LISTEN however many clients');

  await second.cancel();
  await app.close();
  assert.equal(await first.ended(), true, 'close ends the open streams');
  assert.equal(unlistened, true);
});
