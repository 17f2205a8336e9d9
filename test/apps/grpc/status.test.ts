// The gRPC edge's error translation: each of our codes becomes the status its comment argues for,
// with the message kept below Internal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { toConnectError } from '../../../src/apps/grpc/status.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';

test('every error code has its gRPC status; the message is kept unless internal', () => {
  const expected: Record<ErrorCode, Code> = {
    invalid_argument: Code.InvalidArgument,
    not_found: Code.NotFound,
    unsupported_media_type: Code.InvalidArgument,
    payload_too_large: Code.ResourceExhausted,
    headers_too_large: Code.ResourceExhausted,
    method_not_allowed: Code.Unimplemented,
    rate_limited: Code.ResourceExhausted,
    conflict: Code.Aborted,
    unprocessable: Code.FailedPrecondition,
    unavailable: Code.Unavailable,
    deadline_exceeded: Code.DeadlineExceeded,
    internal: Code.Internal,
  };
  for (const code of Object.values(ErrorCode)) {
    const err = toConnectError(new AppError(code, `a ${code} error`));
    assert.equal(err.code, expected[code], code);
    assert.equal(err.rawMessage, code === 'internal' ? 'Internal error' : `a ${code} error`);
  }
  const own = new ConnectError('already translated', Code.Canceled);
  assert.equal(toConnectError(own), own);
});
