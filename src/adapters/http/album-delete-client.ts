import pRetry from 'p-retry';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { answerError, isRetried, type RetryPolicy, retryPause } from './answers.ts';

export interface AlbumDeleteClientOptions {
  /** Where the REST API answers, such as http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** A request not answered within this many milliseconds fails as deadline_exceeded. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

/** The album deletes of the REST API, as a client sees them. */
export interface AlbumDeleteClient {
  /**
   * DELETE /api/v1/albums/{id} for one id, POST /api/v1/albums:delete for several (at most the
   * API's batch size): the ids whose tombstones are on the topic.
   */
  delete(ids: readonly number[]): Promise<number[]>;
}

/**
 * A client of the REST API's deletes on fetch. A delete is idempotent, so 503, 429 and 409
 * answers are retried as writes are, with the same policy; any 2xx is success.
 */
export function createAlbumDeleteClient(o: AlbumDeleteClientOptions): AlbumDeleteClient {
  async function attempt(path: string, init: RequestInit): Promise<void> {
    let res: Response;
    try {
      res = await fetch(new URL(path, o.baseUrl), {
        ...init,
        headers: { accept: 'application/json', ...init.headers },
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err: unknown) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new AppError(
          ErrorCode.DeadlineExceeded,
          `the REST API did not answer within ${o.timeoutMs} ms`,
          { cause: err },
        );
      }
      throw new AppError(ErrorCode.Unavailable, 'no answer', { cause: err });
    }
    if (res.status < 200 || res.status > 299) throw await answerError(res);
    await res.body?.cancel();
  }

  return {
    async delete(ids) {
      const [only] = ids;
      const [path, init]: [string, RequestInit] =
        ids.length === 1 && only !== undefined
          ? [`/api/v1/albums/${only}`, { method: 'DELETE' }]
          : [
              '/api/v1/albums:delete',
              {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ ids }),
              },
            ];
      await pRetry(() => attempt(path, init), {
        retries: o.retry.retries,
        minTimeout: o.retry.minDelayMs,
        maxTimeout: o.retry.maxDelayMs,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => isRetried(error),
        onFailedAttempt: ({ error, retryDelay }) => retryPause(error, retryDelay, o.retry),
      });
      return [...new Set(ids)];
    },
  };
}
