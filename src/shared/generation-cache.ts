/** Where a cache learns that what it keeps went out of date (AlbumGenerations is one). */
export interface Generations {
  /** The current generation; null while changes may go unheard (then nothing is kept). */
  current(): number | null;
  /** The generation once every change committed before the call has been heard of, or null. */
  fresh(): Promise<number | null>;
  /** Calls `fn` each time the generation moves. */
  onMove(fn: () => void): void;
}

/** Answers kept by key until the data they were read from changes. */
export interface GenerationCache<T> {
  /**
   * The answer for `key`: the one kept, the one being read for the current generation (shared
   * by the calls that ask meanwhile), or a new read, kept when no change was heard of during it.
   * `read` gets the signal of the call that started it.
   */
  get(key: string, read: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
}

interface Reading<T> {
  readonly generation: number;
  readonly answer: Promise<T>;
  readonly signal: AbortSignal;
}

/**
 * The rule that keeps answers fresh: each call first waits until every change committed before
 * it began has been heard of (`fresh`); an answer is kept only when its read began after the
 * generation it is kept under was reached and no move was heard of before it ended, and it is
 * given only while the generation has not moved since. So a call never gets an answer older than
 * a read that began after the last commit before the call: the same as reading the table.
 * `maxKeys` bounds the answers kept; past it the oldest keys go first.
 */
export function createGenerationCache<T>(
  generations: Generations,
  maxKeys: number,
): GenerationCache<T> {
  const kept = new Map<string, { readonly generation: number; readonly answer: T }>();
  const reading = new Map<string, Reading<T>>();
  generations.onMove(() => {
    kept.clear();
    reading.clear();
  });
  const keep = (key: string, generation: number, answer: T) => {
    if (generations.current() !== generation) return;
    if (kept.size >= maxKeys) {
      const oldest = kept.keys().next();
      if (!oldest.done) kept.delete(oldest.value);
    }
    kept.set(key, { generation, answer });
  };
  const start = (
    key: string,
    generation: number,
    read: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ) => {
    const answer = read(signal);
    const entry: Reading<T> = { generation, answer, signal };
    reading.set(key, entry);
    answer.then(
      (value) => {
        if (reading.get(key) === entry) reading.delete(key);
        keep(key, generation, value);
      },
      () => {
        if (reading.get(key) === entry) reading.delete(key);
      },
    );
    return answer;
  };
  return {
    async get(key, read, signal) {
      const generation = await untilAborted(generations.fresh(), signal);
      if (generation === null) return read(signal);
      const found = kept.get(key);
      if (found !== undefined && found.generation === generation) return found.answer;
      const pending = reading.get(key);
      if (pending !== undefined && pending.generation === generation) {
        try {
          return await untilAborted(pending.answer, signal);
        } catch (err: unknown) {
          // The call that started the read went away and took it along: read for this one.
          if (signal.aborted || !pending.signal.aborted) throw err;
          return read(signal);
        }
      }
      return start(key, generation, read, signal);
    },
  };
}

/** `work`, or the signal's reason as soon as it aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
