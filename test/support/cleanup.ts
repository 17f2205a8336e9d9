import type { TestContext } from 'node:test';
import { createCloser } from '../../src/shared/closer.ts';

/** Registers a step of a test's cleanup. */
export type Defer = (step: () => unknown) => void;

/**
 * One t.after hook that runs the steps deferred to it in reverse order, each even when an
 * earlier one failed (the first failure is rethrown at the end). node:test runs a test's own
 * after hooks in the order they were added, which would stop a server before its clients.
 */
export function cleanupStack(t: TestContext): Defer {
  const steps = createCloser();
  t.after(() => steps.close());
  return (step) => steps.defer(step);
}
