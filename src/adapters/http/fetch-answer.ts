import { AppError, ErrorCode } from '../../shared/errors.ts';
import { answerError } from './answers.ts';

/**
 * One request to the REST API: the 2xx response, or an error with our codes. No answer in
 * `timeoutMs` is deadline_exceeded; no answer at all (refused, reset, unresolvable) is
 * unavailable; any other status is `answerError`'s.
 */
export async function fetchAnswer(
  url: URL,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err: unknown) {
    if (err instanceof Error && err.name === 'TimeoutError') {
      throw new AppError(
        ErrorCode.DeadlineExceeded,
        `the REST API did not answer within ${timeoutMs} ms`,
        { cause: err },
      );
    }
    // fetch fails this way only when no HTTP answer came: refused, reset, unresolvable...
    throw new AppError(ErrorCode.Unavailable, 'no answer', { cause: err });
  }
  if (res.status < 200 || res.status > 299) throw await answerError(res);
  return res;
}
