import { spawn } from 'node:child_process';

/** What a command printed (stdout and stderr, interleaved) and its exit code (null: not run). */
export interface QuietRun {
  readonly code: number | null;
  readonly out: string;
}

/** Runs a command with its output kept, for steps that show it only when they fail. */
export function runQuiet(
  cmd: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<QuietRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ code: null, out: err.message }));
    child.on('close', (code) => resolve({ code, out }));
  });
}
