/**
 * Settles as `work` does, or rejects with Error(message) once `ms` passed, whichever comes first.
 * For Kafka calls that take no AbortSignal: the call itself goes on, only the wait ends. The timer
 * is cleared as soon as `work` settles, so a busy caller does not pile up pending timers (as
 * AbortSignal.timeout would, one per call, each alive for `ms`).
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
