import type postgres from 'postgres';

/**
 * Awaits a query, cancelling it in PostgreSQL when `signal` aborts. The caller gets the signal's
 * reason at once; the cancel request frees the backend and its pooled connection soon after,
 * rather than when a slow or blocked statement would have finished.
 */
export async function cancelOnAbort<R extends readonly postgres.MaybeRow[]>(
  query: postgres.PendingQuery<R>,
  signal: AbortSignal | undefined,
): Promise<postgres.RowList<R>> {
  if (!signal) return query;
  signal.throwIfAborted();
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = () => {
    reject(signal.reason);
    // The query then fails with "canceling statement due to user request": nobody waits for it.
    query.catch(() => {});
    void cancelInPostgres(query);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([query, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Asks PostgreSQL to cancel a query, as `query.cancel()` does. postgres.js 3.4 drops the promise
 * of its cancel request, so a request that cannot connect (the server just went away) would be
 * an unhandled rejection, which stops the process; the canceller it calls returns that promise,
 * so it is called here directly when present. Resolves once the request was delivered, or
 * could not be.
 */
export function cancelInPostgres(query: { cancel(): void }): Promise<void> {
  const internal = query as unknown as { canceller?: ((q: unknown) => unknown) | null };
  const canceller = internal.canceller;
  if (typeof canceller !== 'function') {
    query.cancel();
    return Promise.resolve();
  }
  internal.canceller = null;
  return Promise.resolve(canceller(query)).then(
    () => {},
    () => {},
  );
}
