// Jaeger, the trace backend of the tracing test, built from source with the Go toolchain: the Go
// module proxy serves it, and the build runs under .data/jaeger, so a clone builds it once and
// keeps only the binary. No Go, no Jaeger: the test says so and is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processRuns } from './process-runs.ts';
import { runQuiet } from './run-quiet.ts';

/** The Jaeger release the test runs (its v2 binary, cmd/jaeger, tagged v1.x in Go). */
export const JAEGER_VERSION = 'v1.75.0';
const PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

/** The Go toolchain: on PATH, or where the official tarball installs it; null when absent. */
export function goBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null;
}

/** Where the binary of JAEGER_VERSION is kept. */
export function jaegerBinary(dataDir: string): string {
  return join(dataDir, 'jaeger', `jaeger-${JAEGER_VERSION}`);
}

/** True while the process that wrote `lock` (its pid) runs. */
function held(lock: string): boolean {
  try {
    return processRuns(Number(readFileSync(lock, 'utf8')));
  } catch {
    return false;
  }
}

/**
 * Removes the sources and compile cache (3 GB) that served the build only, so that a clone keeps
 * the binary alone (also those an earlier version kept). A failure is said, not thrown: the
 * binary is there.
 */
function dropBuildFiles(root: string, report: (line: string) => void): void {
  for (const cache of ['gocache', 'gomodcache', 'gopath', 'tmp']) {
    try {
      rmSync(join(root, cache), { recursive: true, force: true });
    } catch (e: unknown) {
      report(`jaeger: could not remove ${join(root, cache)}: ${(e as Error).message}`);
    }
  }
}

/**
 * The Jaeger binary, built first when missing (minutes on two cores, once); null when no Go is
 * installed. A build another process started (npm test starts one beside its tests) is waited
 * for rather than repeated. The compiler runs at the lowest priority, so that the tests beside
 * it keep their CPU. Throws with the build's last lines when it fails.
 */
export async function ensureJaeger(
  dataDir: string,
  report: (line: string) => void,
): Promise<string | null> {
  const binary = jaegerBinary(dataDir);
  const lock = `${binary}.lock`;
  const root = join(dataDir, 'jaeger');
  for (;;) {
    while (!existsSync(binary) && existsSync(lock) && held(lock)) await sleep(2000);
    if (existsSync(binary)) {
      dropBuildFiles(root, report);
      return binary;
    }
    mkdirSync(root, { recursive: true });
    // A dead builder's lock is taken over; a live one's is waited for (the loop above).
    if (existsSync(lock) && !held(lock)) rmSync(lock, { force: true });
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      // Taken meanwhile: wait for that build.
    }
  }
  const go = goBinary();
  if (go === null) {
    rmSync(lock, { force: true });
    return null;
  }
  const module = join(root, 'module');
  mkdirSync(module, { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  try {
    // A module of our own pins the version through go.mod's tool directive (Go 1.24+).
    writeFileSync(join(module, 'go.mod'), 'module music-service/jaeger-build\n\ngo 1.24\n');
    const env = {
      ...process.env,
      GOPATH: join(root, 'gopath'),
      GOCACHE: join(root, 'gocache'),
      GOMODCACHE: join(root, 'gomodcache'),
      GOTMPDIR: join(root, 'tmp'),
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-modcacherw',
    };
    const started = Date.now();
    report(`jaeger: building ${JAEGER_VERSION} with Go, once (minutes)…`);
    const steps: [string, string[]][] = [
      ['get', ['get', '-tool', `${PACKAGE}@${JAEGER_VERSION}`]],
      ['build', ['build', '-o', `${binary}.part`, PACKAGE]],
    ];
    for (const [step, args] of steps) {
      const out = await runQuiet('nice', ['-n', '19', go, ...args], { cwd: module, env });
      if (out.code !== 0) {
        const tail = out.out.trim().split('\n').slice(-15).join('\n');
        throw new Error(`jaeger: go ${step} failed:\n${tail || 'no output'}`);
      }
    }
    // Renamed only once whole, so an interrupted build is never taken for a binary.
    renameSync(`${binary}.part`, binary);
    dropBuildFiles(root, report);
    report(`jaeger: built in ${Math.round((Date.now() - started) / 1000)}s`);
    return binary;
  } finally {
    rmSync(lock, { force: true });
  }
}

// `npx node infra/jaeger.ts [jaeger flags]`: builds Jaeger once, then runs it; without flags, its
// all-in-one defaults (UI and query API on localhost:16686, OTLP on localhost:4317 and 4318).
if (import.meta.main) {
  const dataDir = resolve(import.meta.dirname, '..', process.env.MUSIC_DATA_DIR ?? '.data');
  const binary = await ensureJaeger(dataDir, (line) => console.log(line));
  if (binary === null) {
    console.error('jaeger: no Go toolchain found (https://go.dev/dl/); Jaeger is built with it');
    process.exit(1);
  }
  const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}
