import pRetry from 'p-retry';
import { type RetryPolicy, retryOptions } from './answers.ts';
import { fetchAnswer } from './fetch-answer.ts';

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
    const headers = { accept: 'application/json', ...init.headers };
    const res = await fetchAnswer(new URL(path, o.baseUrl), { ...init, headers }, o.timeoutMs);
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
      await pRetry(() => attempt(path, init), retryOptions(o.retry));
      return [...new Set(ids)];
    },
  };
}
