// Error answers of the REST API as a client reads them: the status mapped back to our error
// codes, the message taken from problem+json only, and when a retry is worth it.
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Options as RetryOptions } from 'p-retry';
import { AppError, ErrorCode, type FieldProblem } from '../../shared/errors.ts';
import { readProblem } from '../../shared/problem-details.ts';

/** How a client retries answers that say "not done, try again". */
export interface RetryPolicy {
  /** Attempts after the first. */
  readonly retries: number;
  /** The first pause; each next one doubles (with jitter) up to `maxDelayMs`. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A longer Retry-After is waited only this long (a server asking for an hour is not waited). */
  readonly maxRetryAfterMs: number;
}

/**
 * Answers after which nothing of the request was stored and the same request may succeed later:
 * overloaded or unavailable (503), rate limited (429), and the same Idempotency-Key still in
 * flight in another request (409), whose retry gets that request's answer.
 */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([409, 429, 503]);

// The answer's status read back into our error codes (the inverse of the REST edge's table).
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.InvalidArgument,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  // Still in flight after every retry: like a busy service, retrying later helps.
  409: ErrorCode.Unavailable,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  431: ErrorCode.HeadersTooLarge,
  // The Idempotency-Key came with another body: the request is at fault, not the service.
  422: ErrorCode.InvalidArgument,
  // Rate limited or overloaded: the caller may retry later, like any unavailable service.
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
  504: ErrorCode.DeadlineExceeded,
};

/** A non-2xx answer: its status, and how long the server asked to wait before a retry. */
export class AnswerError extends AppError {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(
    status: number,
    message: string,
    fields: readonly FieldProblem[],
    retryAfterMs: number | undefined,
  ) {
    super(CODE_OF_STATUS[status] ?? ErrorCode.Internal, message, { fields });
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Milliseconds to wait from an RFC 9110 Retry-After (delay-seconds or an HTTP-date), or
 * undefined when it is absent or unreadable.
 */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The error of a non-2xx answer. Its message has the detail and field problems of a
 * problem+json body; any other body is not shown (a proxy's HTML page, or JSON that only looks
 * like a problem), only the status and its standard reason phrase.
 */
export async function answerError(res: Response): Promise<AnswerError> {
  const { message, fields } = await readProblem(res);
  const where = fields.map((f) => `${f.pointer} ${f.detail}`).join('; ');
  const said = message ?? STATUS_CODES[res.status] ?? 'no problem details';
  return new AnswerError(
    res.status,
    `the REST API answered ${res.status}: ${said}${where ? ` (${where})` : ''}`,
    fields,
    retryAfterMs(res.headers.get('retry-after')),
  );
}

/** True for an answer that says nothing was done and the same request may succeed later. */
export const isRetried = (err: unknown): boolean =>
  err instanceof AnswerError && RETRIED_STATUSES.has(err.status);

/**
 * Before a retry: waits what a Retry-After asks beyond the backoff `retryDelay` already planned
 * (up to `maxRetryAfterMs`), so the server's wish is honoured and the backoff still applies.
 */
export async function retryPause(
  err: unknown,
  retryDelay: number,
  policy: RetryPolicy,
): Promise<void> {
  // onFailedAttempt runs before shouldRetry: an answer that is not retried waits for nothing.
  if (!isRetried(err) || retryDelay === 0) return;
  const asked = (err as AnswerError).retryAfterMs;
  if (asked === undefined) return;
  const extra = Math.min(asked, policy.maxRetryAfterMs) - retryDelay;
  if (extra > 0) await sleep(extra);
}

/**
 * p-retry's options for `policy`: doubling backoff with jitter, only the answers `isRetried`
 * accepts, and a Retry-After honoured (`retryPause`).
 */
export function retryOptions(policy: RetryPolicy): RetryOptions {
  return {
    retries: policy.retries,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    factor: 2,
    randomize: true,
    // Only answers that say "nothing was done, try again"; a lost connection may have been a
    // write the server took, and the exit code tells the user that retrying is theirs to do.
    shouldRetry: ({ error }) => isRetried(error),
    onFailedAttempt: ({ error, retryDelay }) => retryPause(error, retryDelay, policy),
  };
}
