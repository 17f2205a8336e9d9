import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Which program generated a phase's load: recorded in the bench JSON (`load_generators`). */
export type Generator = 'wrk' | 'ghz' | 'autocannon' | 'node-http2';

/** ghz, the gRPC load generator, built from source with Go into the data folder. */
export const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz@v0.120.0';
const GO = '/usr/local/go/bin/go';

/** The path of `name` on PATH, or null. */
export function onPath(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * ghz under `dataDir`/tools/go/bin, installed there with `go install` on first use (the Go
 * module proxy serves it; a minute or two). Null, with the reason said, when there is no Go or
 * the build fails: the gRPC phases then use the in-process generator. `build` false (smoke runs,
 * which must stay short) uses ghz only when it is there. `build` false (smoke runs,
 * which must stay short) uses ghz only when it is there.
 */
export async function ensureGhz(
  dataDir: string,
  say: (line: string) => void,
  build = true,
): Promise<string | null> {
  const root = join(dataDir, 'tools', 'go');
  const ghz = join(root, 'bin', 'ghz');
  if (existsSync(ghz)) return ghz;
  if (!build) {
    say('ghz: not built yet (a full or quick run builds it): gRPC load from Node instead');
    return null;
  }
  const go = existsSync(GO) ? GO : onPath('go');
  if (go === null) {
    say('ghz: no Go toolchain (/usr/local/go/bin/go or go on PATH): gRPC load from Node instead');
    return null;
  }
  say(`ghz: building ${GHZ_MODULE} into ${root}/bin`);
  const env = {
    ...process.env,
    GOPATH: root,
    GOBIN: join(root, 'bin'),
    GOCACHE: join(root, 'cache'),
    GOFLAGS: '-modcacherw',
  };
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(go, ['install', GHZ_MODULE], { env, stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', resolve);
  });
  if (code === 0 && existsSync(ghz)) return ghz;
  say(`ghz: go install failed (exit ${code}): gRPC load from Node instead`);
  return null;
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
