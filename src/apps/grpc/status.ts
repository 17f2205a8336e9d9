import { Code, ConnectError } from '@connectrpc/connect';
import { AppError, type ErrorCode } from '../../shared/errors.ts';

/** gRPC status of each error code. */
const CODES: Record<ErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  unsupported_media_type: Code.InvalidArgument,
  payload_too_large: Code.ResourceExhausted,
  headers_too_large: Code.ResourceExhausted,
  // gRPC's word for a method the service does not have.
  method_not_allowed: Code.Unimplemented,
  rate_limited: Code.ResourceExhausted,
  // A concurrency conflict that retrying the whole call resolves, which is what gRPC's status
  // guide says of ABORTED; ALREADY_EXISTS would tell the caller that retrying cannot help.
  conflict: Code.Aborted,
  // Valid on its own but not in the state the service holds (a key bound to another body), and
  // not fixed by a retry: FAILED_PRECONDITION; INVALID_ARGUMENT is for requests bad in any state.
  unprocessable: Code.FailedPrecondition,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  internal: Code.Internal,
};

/** The gRPC edge's error translation: anything thrown becomes a ConnectError with our code. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const error = AppError.from(err);
  const code = CODES[error.code];
  // Internal details stay in the logs.
  return new ConnectError(
    code === Code.Internal ? 'Internal error' : error.message,
    code,
    undefined,
    undefined,
    err,
  );
}
