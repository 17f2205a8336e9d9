import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCloser, startOrUndo } from '../../src/shared/closer.ts';

test('steps run once, last registered first, each even after one failed; the first failure wins', async () => {
  const ran: string[] = [];
  const closer = createCloser();
  closer.defer(() => ran.push('a'));
  closer.defer(() => {
    ran.push('b');
    throw new Error('b failed');
  });
  assert.equal(
    closer.own('c', (v) => {
      ran.push(v);
      throw new Error('c failed');
    }),
    'c',
  );
  await assert.rejects(closer.close(), /c failed/);
  await assert.rejects(closer.close(), /c failed/, 'a second close shares the first');
  assert.deepEqual(ran, ['c', 'b', 'a']);
});

test('with a report, failures are reported and close resolves; steps added while closing run too', async () => {
  const ran: string[] = [];
  const reported: unknown[] = [];
  const closer = createCloser((err) => reported.push(err));
  closer.defer(() => ran.push('first'));
  closer.defer(async () => {
    closer.defer(() => ran.push('late'));
    throw new Error('boom');
  });
  await closer.close();
  assert.deepEqual(ran, ['late', 'first']);
  assert.equal(reported.length, 1);
});

test('startOrUndo closes what a failed start-up opened, and keeps it open on success', async () => {
  const closed: string[] = [];
  await assert.rejects(
    startOrUndo(async (parts) => {
      parts.defer(() => closed.push('pool'));
      parts.defer(() => {
        throw new Error('closing fails too');
      });
      throw new Error('listen failed');
    }),
    /listen failed/,
  );
  assert.deepEqual(closed, ['pool']);

  const started = await startOrUndo(async (parts) => {
    parts.defer(() => closed.push('server'));
    return { close: () => parts.close() };
  });
  assert.deepEqual(closed, ['pool']);
  await started.close();
  assert.deepEqual(closed, ['pool', 'server']);
});
