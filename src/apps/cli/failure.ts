import { CommanderError } from 'commander';
import { ConfigError } from '../../shared/config.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

/** Exit codes of `music`, so that scripts can tell a missing album from a dead service. */
export const ExitCode = {
  Ok: 0,
  /** Anything unexpected. */
  Failure: 1,
  /** The command line, the configuration or the album given is invalid. */
  Usage: 2,
  /** The album asked for does not exist. */
  NotFound: 3,
  /** A service could not be reached or did not answer in time: retrying may help. */
  Unavailable: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const EXIT_OF_CODE: Record<ErrorCode, ExitCode> = {
  invalid_argument: ExitCode.Usage,
  payload_too_large: ExitCode.Usage,
  // Requests the CLI makes itself: a wrong method or oversized headers are its bug.
  headers_too_large: ExitCode.Failure,
  method_not_allowed: ExitCode.Failure,
  not_found: ExitCode.NotFound,
  unavailable: ExitCode.Unavailable,
  deadline_exceeded: ExitCode.Unavailable,
  // Too many requests: waiting and trying again helps, as for a service that is down.
  rate_limited: ExitCode.Unavailable,
  // Another request is busy with the same write: trying again later gets its answer.
  conflict: ExitCode.Unavailable,
  // What was sent does not fit what the service holds: the user has to send something else.
  unprocessable: ExitCode.Usage,
  // The API refusing our own content type is our bug, not the user's.
  unsupported_media_type: ExitCode.Failure,
  internal: ExitCode.Failure,
};

/** `err` and the errors it was caused by, outermost first (AggregateErrors fan out). */
function* chain(err: unknown, depth = 0): Generator<unknown> {
  if (err === null || err === undefined || depth > 8) return;
  yield err;
  if (typeof err !== 'object') return;
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  yield* chain(cause, depth + 1);
  if (Array.isArray(errors)) for (const e of errors) yield* chain(e, depth + 1);
}

/** The socket error code (ECONNREFUSED, ...) somewhere in the causes of `err`, if any. */
function socketCode(err: unknown): string | undefined {
  for (const e of chain(err)) {
    // AppError.from knows which codes mean a dependency is down; only those are kept.
    if (e instanceof AppError) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && AppError.from(e).code === ErrorCode.Unavailable) return code;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs work that talks to one service and names that service in what goes wrong: a socket
 * failure becomes "cannot reach <service> at <address> (ECONNREFUSED)", an unavailable service
 * says which one it was. Answers of the service itself (not found, invalid) pass unchanged.
 */
export async function reaching<T>(
  service: string,
  address: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err: unknown) {
    const code = socketCode(err);
    if (code !== undefined) {
      throw new AppError(ErrorCode.Unavailable, `cannot reach ${service} at ${address} (${code})`, {
        cause: err,
      });
    }
    if (err instanceof AppError && err.code === ErrorCode.Unavailable) {
      const root = [...chain(err)].at(-1);
      const cause = root === err ? '' : ` (${messageOf(root)})`;
      throw new AppError(
        ErrorCode.Unavailable,
        `${service} at ${address}: ${err.message}${cause}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

export interface Failure {
  /** What went wrong, on one line. */
  readonly line: string;
  /** The errors behind it, for --verbose. */
  readonly causes: readonly string[];
  readonly exitCode: ExitCode;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** Anything thrown out of a command, as the line to print and the exit code. */
export function describeFailure(err: unknown): Failure {
  const causes = [...chain(err)].slice(1).map((e) => oneLine(messageOf(e)));
  if (err instanceof CommanderError) {
    // Commander already printed its message (see main.ts); only the code is left to choose.
    return { line: '', causes, exitCode: err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage };
  }
  if (err instanceof ConfigError) {
    return { line: oneLine(err.message), causes, exitCode: ExitCode.Usage };
  }
  if (err instanceof AppError) {
    return { line: oneLine(err.message), causes, exitCode: EXIT_OF_CODE[err.code] };
  }
  // Not one of ours: the user still deserves its message rather than "Internal error".
  return {
    line: `unexpected error: ${oneLine(messageOf(err))}`,
    causes,
    exitCode: ExitCode.Failure,
  };
}
