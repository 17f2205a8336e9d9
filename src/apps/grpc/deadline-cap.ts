import type { IncomingHttpHeaders } from 'node:http2';
import { parseTimeout } from '@connectrpc/connect/protocol-grpc';

/** The longest delay a Node timer waits (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** That bound in grpc-timeout's syntax: whole seconds within it. */
const CAPPED = `${Math.floor(MAX_TIMER_MS / 1000)}S`;

/**
 * Caps a request's grpc-timeout at what a timer can wait. gRPC allows deadlines up to 99,999,999
 * hours, and clients send such values for "no deadline"; the fast path and Connect both arm a
 * timer with it, and Node fires a longer timer at once, so those calls failed at once with
 * DEADLINE_EXCEEDED. A deadline 24.8 days away is no deadline for a read. Malformed values are
 * left alone, for the server to refuse.
 */
export function capGrpcTimeout(headers: IncomingHttpHeaders): void {
  const value = headers['grpc-timeout'];
  if (typeof value !== 'string') return;
  const parsed = parseTimeout(value, Number.MAX_SAFE_INTEGER);
  if (parsed.error === undefined && (parsed.timeoutMs ?? 0) > MAX_TIMER_MS)
    headers['grpc-timeout'] = CAPPED;
}
