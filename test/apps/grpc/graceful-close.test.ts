// How the gRPC runtime closes its HTTP/2 server: GOAWAY first, streams in flight may finish
// within the grace period, and whatever is still open after it is cut off.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { gracefulClose } from '../../../src/apps/grpc/graceful-close.ts';

/** A server whose streams wait to be answered, a client session, and one request in flight. */
async function inFlight(t: TestContext) {
  const server = http2.createServer();
  const close = gracefulClose(server);
  const answered = new Promise<() => void>((resolve) =>
    server.once('stream', (stream) =>
      resolve(() => {
        stream.respond({ ':status': 200 });
        stream.end('done');
      }),
    ),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  t.after(() => {
    client.destroy();
    server.close();
  });
  const request = client.request({ ':path': '/slow' });
  request.on('error', () => {});
  request.end();
  let body = '';
  request.on('data', (d: Buffer) => {
    body += d.toString();
  });
  const ended = once(request, 'close').then(() => ({ body, code: request.rstCode }));
  return { close, answer: await answered, client, ended };
}

test('a stream in flight is answered within the grace period, after a GOAWAY, and then the server closes', async (t) => {
  const { close, answer, client, ended } = await inFlight(t);
  const goaway = once(client, 'goaway');
  const started = Date.now();
  const closed = close(30_000);
  await goaway;
  answer();
  assert.deepEqual(await ended, { body: 'done', code: http2.constants.NGHTTP2_NO_ERROR });
  await closed;
  assert.ok(Date.now() - started < 10_000, 'closed once the stream was done, not at the grace');
});

test('a stream still open when the grace period ends is cut off', async (t) => {
  const { close, ended } = await inFlight(t);
  const started = Date.now();
  await close(200);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190, `waited the grace period (${elapsed} ms)`);
  const { body } = await ended;
  assert.equal(body, '', 'never answered');
});
