import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import type { Album, AlbumSubmission } from '../../domain/album.ts';
import { AlbumList, OneAlbum } from './answered-album.ts';
import { type RetryPolicy, retryOptions } from './answers.ts';
import { fetchAnswer } from './fetch-answer.ts';

export type WriteMethod = 'POST' | 'PUT';

/** The header of draft-ietf-httpapi-idempotency-key-header that makes a write safe to repeat. */
export const IDEMPOTENCY_KEY = 'idempotency-key';

export interface AlbumApiClientOptions {
  /** Where the REST API answers, such as http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** A request not answered within this many milliseconds fails as deadline_exceeded. */
  readonly timeoutMs: number;
  /** How `503`, `429` and `409` answers are retried; `DEFAULT_RETRY` when absent. */
  readonly retry?: RetryPolicy;
}

/**
 * An album as a 2xx answer gave it back. `id` is null only when the server accepted an album
 * sent without one and did not say which it gave (an answer without the album in its body).
 */
export type AcceptedAlbum = Omit<Album, 'id'> & { readonly id: number | null };

/** The album writes of the REST API, as a client sees them. */
export interface AlbumApiClient {
  /** POST or PUT /api/v1/album: the album as the API accepted it (with its id). */
  writeOne(method: WriteMethod, album: AlbumSubmission): Promise<AcceptedAlbum>;
  /** POST or PUT /api/v1/albums: the albums as accepted, in the order sent. */
  writeBatch(method: WriteMethod, albums: readonly AlbumSubmission[]): Promise<AcceptedAlbum[]>;
}

/** A few attempts over about eight seconds: enough to ride out a broker's leader election. */
export const DEFAULT_RETRY: RetryPolicy = {
  retries: 4,
  minDelayMs: 500,
  maxDelayMs: 4000,
  maxRetryAfterMs: 30_000,
};

/**
 * What was sent, when the answer does not give the album back: the id sent, if any, and the
 * price as sent (an absent price is 0, as protobuf's JSON mapping reads it).
 */
const asSent = (a: AlbumSubmission): AcceptedAlbum => ({
  id: a.id ?? null,
  title: a.title,
  artist: a.artist,
  price: a.price ?? 0,
});

/**
 * A client of the REST API's album writes on fetch, keeping its connections alive. Any 2xx is
 * success. Each write carries an Idempotency-Key of its own, the same on each of its retries,
 * so that a retry of a write the server did take answers the first answer instead of writing
 * again.
 */
export function createAlbumApiClient(o: AlbumApiClientOptions): AlbumApiClient {
  const policy = o.retry ?? DEFAULT_RETRY;

  async function attempt(path: string, method: WriteMethod, body: string, key: string) {
    const res = await fetchAnswer(
      new URL(path, o.baseUrl),
      {
        method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [IDEMPOTENCY_KEY]: key,
        },
        body,
      },
      o.timeoutMs,
    );
    // A 2xx is success whatever its body: a body that is not JSON only loses the echo.
    return (await res.json().catch(() => null)) as unknown;
  }

  /** One logical write: its key, then attempts until a 2xx, a final answer, or no retries left. */
  function send(path: string, method: WriteMethod, payload: unknown): Promise<unknown> {
    const key = randomUUID();
    const body = JSON.stringify(payload);
    return pRetry(() => attempt(path, method, body, key), retryOptions(policy));
  }

  return {
    async writeOne(method, album) {
      const answered = await send('/api/v1/album', method, album);
      return OneAlbum.Check(answered) ? answered : asSent(album);
    },
    async writeBatch(method, albums) {
      const answered = await send('/api/v1/albums', method, albums);
      return AlbumList.Check(answered) && answered.length === albums.length
        ? answered
        : albums.map(asSent);
    },
  };
}
