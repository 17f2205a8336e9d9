// What `npm test` says at the end: counts across its runs, the failures again, the slowest files,
// and each file's time kept for the next run, which starts the longest files first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { TestsStream } from 'node:test';

interface TestEvent {
  readonly name: string;
  readonly nesting: number;
  readonly file?: string;
  readonly skip?: unknown;
  readonly todo?: unknown;
  readonly details: { readonly duration_ms: number; readonly type?: string };
}

export class TestReport {
  passed = 0;
  failed = 0;
  skipped = 0;
  readonly failures: string[] = [];
  /** Seconds per file: the sum of its top-level tests' durations. */
  readonly fileSeconds = new Map<string, number>();

  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Counts the events of one run of node:test. */
  watch(stream: TestsStream): void {
    const onEnd = (ok: boolean) => (event: TestEvent) => {
      const file = event.file === undefined ? '?' : relative(this.root, event.file);
      if (event.nesting === 0) {
        const seconds = event.details.duration_ms / 1000;
        this.fileSeconds.set(file, (this.fileSeconds.get(file) ?? 0) + seconds);
      }
      if (event.details.type === 'suite') return;
      if (event.skip !== undefined || event.todo !== undefined) this.skipped++;
      else if (ok) this.passed++;
      else {
        this.failed++;
        this.failures.push(`${file}: ${event.name}`);
      }
    };
    stream.on('test:pass', onEnd(true));
    stream.on('test:fail', onEnd(false));
  }

  /** The slowest files, longest first. */
  slowest(count: number): string {
    return [...this.fileSeconds]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([file, s]) => `${file.replace(/^test\//, '')} ${s.toFixed(1)}s`)
      .join(', ');
  }

  /** Keeps each file's time for the next run's order (merged with what was kept before). */
  save(path: string): void {
    const kept = readDurations(path);
    for (const [file, s] of this.fileSeconds) kept[file] = Math.round(s * 10) / 10;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(kept, null, 1)}\n`);
  }
}

/** Seconds per file from an earlier run, or nothing. */
export function readDurations(path: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Files known to run long, longest first, for a run with no times yet. */
const LONG = [/soak/, /faults\//, /\.e2e\./];

/**
 * Longest first by an earlier run's times, so that the longest file does not start last. A file
 * never timed counts as long, the known long ones first.
 */
export function longestFirst(files: readonly string[], seconds: Record<string, number>): string[] {
  const known = (f: string) => LONG.findIndex((pattern) => pattern.test(f));
  const of = (f: string) => seconds[f] ?? (known(f) < 0 ? 1e6 : 2e6 - known(f));
  return [...files].sort((a, b) => of(b) - of(a));
}
