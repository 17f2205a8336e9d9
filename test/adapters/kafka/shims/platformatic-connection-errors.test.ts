// A broker that accepts a connection but does not answer its SASL handshake in time: the caller
// gets the timeout, and the handshake's late failure must not end the process.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@platformatic/kafka';
import { keepLateConnectionErrors } from '../../../../src/adapters/kafka/shims/platformatic-connection-errors.ts';

test('a SASL handshake that fails after the connect timeout throws nothing uncaught', async (t) => {
  const sockets: Socket[] = [];
  // Takes the connection and the handshake request, answers nothing.
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const uncaught: Error[] = [];
  // node:test fails the test on an uncaught exception; this listener counts it instead.
  const onUncaught = (e: Error) => void uncaught.push(e);
  process.prependListener('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  keepLateConnectionErrors();
  const connection = new Connection('music-test', {
    connectTimeout: 200,
    sasl: { mechanism: 'SCRAM-SHA-256', username: 'music', password: 'secret' },
  });
  assert.equal(connection.listenerCount('error'), 1, 'the shim listens to each new connection');
  const { promise: answered, resolve } = Promise.withResolvers<Error | null | undefined>();
  connection.connect('127.0.0.1', port, resolve);
  const error = await answered;
  assert.match(String(error?.message), /timed out/);
  // The late failure of the handshake, on a connection nobody waits for any more.
  await sleep(500);
  assert.deepEqual(
    uncaught.map((e) => e.message),
    [],
  );
});
