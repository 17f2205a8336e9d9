import { spawn, spawnSync } from 'node:child_process';

/** Which program generated a phase's load: recorded in the bench JSON (`load_generators`). */
export type Generator = 'wrk' | 'h2load' | 'autocannon' | 'node-http2';

/** The path of `name` on PATH, or null. */
export function onPath(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** Runs a program to its end; resolves with its standard output, rejects on a non-zero exit. */
export function runTool(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} exited ${code}: ${err.trim().slice(0, 500)}`)),
    );
  });
}
