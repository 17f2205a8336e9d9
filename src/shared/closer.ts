/** What a start-up opened, closed again in reverse order. */
export interface Closer {
  /** Registers a step; the last one registered runs first. */
  defer(step: () => unknown): void;
  /** Registers how to close `value` and returns it, so a part is opened and owned in one line. */
  own<T>(value: T, close: (value: T) => unknown): T;
  /**
   * Runs every step once, last registered first, each even when an earlier one failed (and steps
   * registered meanwhile too). Failures go to `report` when the closer has one; otherwise the
   * first of them rejects the returned promise once all steps ran. Later calls share the promise.
   */
  close(): Promise<void>;
}

/** A closer; with `report`, failed steps are reported there and close() always resolves. */
export function createCloser(report?: (err: unknown) => void): Closer {
  const steps: (() => unknown)[] = [];
  let closing: Promise<void> | null = null;
  const closer: Closer = {
    defer: (step) => void steps.push(step),
    own(value, close) {
      steps.push(() => close(value));
      return value;
    },
    close() {
      closing ??= (async () => {
        const failures: unknown[] = [];
        for (let step = steps.pop(); step; step = steps.pop()) {
          try {
            await step();
          } catch (err: unknown) {
            if (report) report(err);
            else failures.push(err);
          }
        }
        if (failures.length > 0) throw failures[0];
      })();
      return closing;
    },
  };
  return closer;
}

/**
 * Runs a start-up with a closer of its own: when it throws, what it had opened is closed before
 * the error goes on, so a part that failed half-way leaves no connection behind.
 */
export async function startOrUndo<T>(start: (parts: Closer) => Promise<T>): Promise<T> {
  const parts = createCloser();
  try {
    return await start(parts);
  } catch (err: unknown) {
    // The start-up's own error says what went wrong; one from closing would only hide it.
    await parts.close().catch(() => {});
    throw err;
  }
}
