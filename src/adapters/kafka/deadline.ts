/**
 * Settles as `work` does, or rejects with Error(message) once `ms` passed, whichever comes first.
 * For Kafka calls that take no AbortSignal: the call itself goes on, only the wait ends. The timer
 * is cleared as soon as `work` settles, so a busy caller does not pile up pending timers (as
 * AbortSignal.timeout would, one per call, each alive for `ms`). `cause`, when given, tells
 * the deadline's error what held the work up (say the last error a retry followed).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  message: string,
  cause?: () => unknown,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const why = cause?.();
      reject(why === undefined ? new Error(message) : new Error(message, { cause: why }));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
