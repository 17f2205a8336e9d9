import { spawn } from 'node:child_process';

/** What a command printed (stdout and stderr, interleaved) and its exit code (null: not run). */
export interface QuietRun {
  readonly code: number | null;
  readonly out: string;
  /** Its stdout alone, for a caller that reads results there and diagnostics in `out`. */
  readonly stdout: string;
}

/** Runs a command with its output kept, for steps that show it only when they fail. */
export function runQuiet(
  cmd: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<QuietRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', (err) => resolve({ code: null, out: err.message, stdout }));
    child.on('close', (code) => resolve({ code, out, stdout }));
  });
}
