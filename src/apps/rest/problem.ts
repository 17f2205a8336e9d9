import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, type FieldProblem } from '../../shared/errors.ts';
import { PROBLEM_JSON, type Problem } from '../../shared/problem-details.ts';
import { clip } from './access-log.ts';
import type { RejectionLog } from './rejection-log.ts';

/** HTTP status of each error code. */
const STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  not_found: 404,
  unsupported_media_type: 415,
  payload_too_large: 413,
  headers_too_large: 431,
  method_not_allowed: 405,
  rate_limited: 429,
  // RFC 9110's own words: 409 "conflict with the current state of the target resource" (a key
  // whose request is still in flight), 422 "unable to process the contained instructions" (a
  // body that is valid but not the one the key was first sent with).
  conflict: 409,
  unprocessable: 422,
  unavailable: 503,
  deadline_exceeded: 504,
  internal: 500,
};

const TITLE: Record<ErrorCode, string> = {
  invalid_argument: 'Invalid request',
  not_found: 'Not found',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  headers_too_large: 'Request header fields too large',
  method_not_allowed: 'Method not allowed',
  rate_limited: 'Too many requests',
  conflict: 'Conflict',
  unprocessable: 'Unprocessable content',
  unavailable: 'Service unavailable',
  deadline_exceeded: 'Deadline exceeded',
  internal: 'Internal server error',
};

interface AjvIssue {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Field problems from Fastify's schema validation, as JSON pointers into the body. */
function fieldProblems(issues: readonly AjvIssue[]): FieldProblem[] {
  return issues.map((issue) => {
    const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
    const pointer =
      typeof extra === 'string' ? `${issue.instancePath}/${extra}` : issue.instancePath;
    const detail =
      issue.params.additionalProperty !== undefined
        ? 'is not a known field'
        : (issue.message ?? 'is invalid');
    return { pointer, detail };
  });
}

/** Turns anything a route threw, including Fastify's own errors, into the one error type. */
function toAppError(err: unknown): AppError {
  const fastifyError = err as Partial<FastifyError> & { validation?: AjvIssue[] };
  if (fastifyError.validation) {
    const fields = fieldProblems(fastifyError.validation);
    const part = fastifyError.validationContext ?? 'body';
    return new AppError(ErrorCode.InvalidArgument, `The request ${part} is invalid`, {
      fields,
      cause: err,
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(ErrorCode.UnsupportedMediaType, 'Send the body as application/json', {
        cause: err,
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(ErrorCode.PayloadTooLarge, 'The body is larger than 1 MiB', {
        cause: err,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(ErrorCode.InvalidArgument, 'The body is empty', { cause: err });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(ErrorCode.InvalidArgument, 'The body is not valid JSON', { cause: err });
  }
  if (err instanceof SyntaxError) {
    return new AppError(ErrorCode.InvalidArgument, 'The body is not valid JSON', { cause: err });
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode < 500 &&
    !(err instanceof AppError)
  ) {
    return new AppError(ErrorCode.InvalidArgument, fastifyError.message ?? 'Bad request', {
      cause: err,
    });
  }
  return AppError.from(err);
}

/** The problem document answering `error` for the request at `instance`. */
export function problemOf(error: AppError, instance: string): Problem {
  const status = STATUS[error.code];
  return {
    type: `/problems/${error.code.replaceAll('_', '-')}`,
    title: TITLE[error.code],
    status,
    // Below 500 the message is meant for the client; above, it could leak internals.
    detail: status < 500 ? error.message : TITLE[error.code],
    instance,
    ...(error.fields.length > 0 ? { errors: error.fields } : {}),
  };
}

/** Field problems a log line repeats: a 1 MiB body of unknown fields has tens of thousands. */
const MAX_LOGGED_FIELDS = 10;

/** What a log line says of a rejection: bounded, however many and however long the fields. */
function rejectionLine(error: AppError) {
  const fields = error.fields
    .slice(0, MAX_LOGGED_FIELDS)
    .map((f) => ({ pointer: clip(f.pointer, 256), detail: clip(f.detail, 256) }));
  const more = error.fields.length - fields.length;
  return { code: error.code, fields, ...(more > 0 ? { moreFields: more } : {}) };
}

/**
 * The error handler of the REST API: logs every server fault and the rejections `rejections`
 * lets through (the rest are counted there), answers problem+json.
 */
export function sendProblem(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  rejections: RejectionLog,
): FastifyReply {
  const error = toAppError(err);
  const problem = problemOf(error, request.url);
  if (problem.status >= 500) request.log.error({ err }, error.message);
  else if (rejections.logs(request, problem.status))
    request.log.info(rejectionLine(error), clip(error.message));
  return reply.status(problem.status).type(PROBLEM_JSON).send(problem);
}
