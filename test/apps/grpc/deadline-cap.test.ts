import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http2';
import { test } from 'node:test';
import { parseTimeout } from '@connectrpc/connect/protocol-grpc';
import { capGrpcTimeout, MAX_TIMER_MS } from '../../../src/apps/grpc/deadline-cap.ts';

const capped = (value: string | undefined) => {
  const headers: IncomingHttpHeaders = value === undefined ? {} : { 'grpc-timeout': value };
  capGrpcTimeout(headers);
  return headers['grpc-timeout'];
};

test('a grpc-timeout longer than a timer can wait is capped at the longest it can', () => {
  for (const value of ['8760H', '99999999H', '2147484S', '99999999M']) {
    const ms = parseTimeout(String(capped(value)), Number.MAX_SAFE_INTEGER).timeoutMs ?? 0;
    assert.ok(ms > MAX_TIMER_MS - 1000 && ms <= MAX_TIMER_MS, `${value} → ${ms} ms`);
  }
});

test('shorter, absent and malformed deadlines are left as they came', () => {
  for (const value of ['5S', '50m', '596H', '2147483S', 'soon', '123456789S', undefined])
    assert.equal(capped(value), value);
});
