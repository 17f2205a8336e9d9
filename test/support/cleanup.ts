import type { TestContext } from 'node:test';

/** Registers a step of a test's cleanup. */
export type Defer = (step: () => unknown) => void;

/**
 * One t.after hook that runs the steps deferred to it in reverse order, each even when an
 * earlier one failed (the first failure is rethrown at the end). node:test runs a test's own
 * after hooks in the order they were added, which would stop a server before its clients.
 */
export function cleanupStack(t: TestContext): Defer {
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (err: unknown) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  });
  return (step) => void steps.push(step);
}
