/**
 * Whether a process runs under `pid` (signal 0 tests without sending one). EPERM means one runs
 * that we may not signal, which is running all the same.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
