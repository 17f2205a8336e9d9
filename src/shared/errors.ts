/** The closed set of failures the services report; each edge maps them to its own status. */
export const ErrorCode = {
  InvalidArgument: 'invalid_argument',
  NotFound: 'not_found',
  UnsupportedMediaType: 'unsupported_media_type',
  PayloadTooLarge: 'payload_too_large',
  /** The request's header section is larger than the server reads (Node's parser refused it). */
  HeadersTooLarge: 'headers_too_large',
  /** The resource exists but not with this method. */
  MethodNotAllowed: 'method_not_allowed',
  RateLimited: 'rate_limited',
  /** Another request holding the same claim (an Idempotency-Key) is in flight: retry later. */
  Conflict: 'conflict',
  /** Well-formed, but at odds with what an earlier request left (a key sent with another body). */
  Unprocessable: 'unprocessable',
  Unavailable: 'unavailable',
  DeadlineExceeded: 'deadline_exceeded',
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem with one field of a request, such as `/1/price` for the second album's price. */
export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** The one error type of music-service: a code, a message safe to show, optional field problems. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly fields: readonly FieldProblem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; fields?: readonly FieldProblem[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields ?? [];
  }

  /** Turns anything thrown into an AppError; unknown failures become `internal`. */
  static from(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof Error && err.name === 'AbortError') {
      return new AppError(ErrorCode.DeadlineExceeded, 'The deadline passed', { cause: err });
    }
    const netCode = (err as { code?: unknown } | null)?.code;
    // Refused, reset and unreachable sockets mean a dependency is down: callers may retry.
    if (typeof netCode === 'string' && NETWORK_CODES.has(netCode)) {
      return new AppError(ErrorCode.Unavailable, 'A backing service is unavailable', {
        cause: err,
      });
    }
    if (netCode === STATEMENT_TIMEOUT) {
      return new AppError(ErrorCode.DeadlineExceeded, 'The database did not answer in time', {
        cause: err,
      });
    }
    return new AppError(ErrorCode.Internal, 'Internal error', { cause: err });
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  // PostgreSQL going away or not yet back: shutting down (57P01, 57P02), starting up (57P03),
  // out of connections (53300), the connection broke (08xxx).
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
]);

/** PostgreSQL's query_canceled, which statement_timeout raises. */
const STATEMENT_TIMEOUT = '57014';
