/** How many lines of one kind a window lets through, and how long a window lasts. */
export interface LogSamplerOptions {
  /** Occurrences of a key logged in full per window; the rest are only counted. */
  readonly perWindow: number;
  readonly windowMs: number;
  /**
   * Keys tracked at once. Callers build keys from closed sets (status, method, route pattern),
   * so this is a backstop: past it, new keys share one window instead of growing the map.
   */
  readonly maxKeys?: number;
}

/** What a window did not log: `count` occurrences like `sample` between `from` and `to`. */
export interface Suppressed<T> {
  readonly key: string;
  readonly sample: T;
  readonly count: number;
  readonly from: number;
  readonly to: number;
}

interface Window<T> {
  readonly start: number;
  readonly sample: T;
  seen: number;
}

/** The key that new keys share once `maxKeys` are tracked. */
export const OVERFLOW_KEY = '(other)';

/**
 * Lets the first few occurrences of each key through per fixed window and counts the rest, so
 * that a flood of the same rejection costs the logs a few lines and one summary per window
 * instead of a line per request. Pure: time comes from `now`, and summaries are handed out by
 * `flush`, which the caller runs on a timer and at close.
 */
export class LogSampler<T> {
  readonly #windows = new Map<string, Window<T>>();
  readonly #ended: Suppressed<T>[] = [];
  readonly #options: LogSamplerOptions;
  readonly #now: () => number;

  constructor(options: LogSamplerOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Whether this occurrence of `key` is logged; `sample` describes it in a later summary. */
  admit(key: string, sample: T): boolean {
    const at = this.#now();
    let k = key;
    if (!this.#windows.has(k) && this.#windows.size >= (this.#options.maxKeys ?? 1000))
      k = OVERFLOW_KEY;
    let window = this.#windows.get(k);
    if (window && at - window.start >= this.#options.windowMs) {
      this.#end(k, window, at);
      window = undefined;
    }
    if (!window) {
      window = { start: at, sample, seen: 0 };
      this.#windows.set(k, window);
    }
    window.seen++;
    return window.seen <= this.#options.perWindow;
  }

  /**
   * The windows that have ended (all of them with `all`, as at close) and suppressed anything,
   * each once. Ended windows are forgotten, so keys seen once do not stay in memory.
   */
  flush(all = false): Suppressed<T>[] {
    const at = this.#now();
    for (const [key, window] of this.#windows)
      if (all || at - window.start >= this.#options.windowMs) this.#end(key, window, at);
    return this.#ended.splice(0);
  }

  #end(key: string, window: Window<T>, at: number): void {
    this.#windows.delete(key);
    const count = window.seen - this.#options.perWindow;
    if (count > 0) {
      const to = Math.min(at, window.start + this.#options.windowMs);
      this.#ended.push({ key, sample: window.sample, count, from: window.start, to });
    }
  }
}
