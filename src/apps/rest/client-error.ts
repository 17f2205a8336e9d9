import type { Socket } from 'node:net';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { PROBLEM_JSON } from '../../shared/problem-details.ts';
import { problemOf } from './problem.ts';

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses never reach a route or the
 * error handler, and Node's own answer is a bare `400 Bad Request`. They get problem+json here
 * too: 431 for a header section over the limit, 400 for anything else malformed. A request
 * timeout keeps Node's bodiless 408 (nothing was parsed to answer to), and a socket that is
 * gone gets nothing. The connection is closed either way: the parser cannot go on after this.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(err);
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError(ErrorCode.HeadersTooLarge, 'The request headers are too large')
      : new AppError(ErrorCode.InvalidArgument, 'The request is not valid HTTP');
  // The URL was not parsed, so the problem names no instance of its own.
  const problem = problemOf(error, '');
  const body = JSON.stringify(problem);
  const reason = problem.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: ${PROBLEM_JSON}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
