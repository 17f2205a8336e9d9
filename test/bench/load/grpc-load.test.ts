import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grpcFrame, unframe } from '../../../bench/load/grpc-load.ts';

test('gRPC frames: a request frame unframes to its message; damaged frames do not', () => {
  const message = Buffer.from([8, 50]);
  const frame = grpcFrame(message);
  assert.deepEqual([...frame], [0, 0, 0, 0, 2, 8, 50]);
  assert.deepEqual(unframe(frame), { compressed: false, message });
  assert.equal(unframe(frame.subarray(0, 6)), null);
  assert.equal(unframe(Buffer.from([2, 0, 0, 0, 0])), null);
  assert.equal(unframe(Buffer.from([1, 0, 0, 0, 1, 7]))?.compressed, true);
});
