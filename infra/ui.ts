// The Svelte UI's build and the browser its end-to-end tests drive.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runQuiet } from './run-quiet.ts';

/** The browser the UI tests drive: the Debian package `chromium`. */
export const CHROMIUM = '/usr/bin/chromium';

/** The newest modification time of the UI's sources (everything under ui/ but its build). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

/**
 * Builds ui/ into ui/dist with Vite, which the REST API serves at `/`, when the build is missing
 * or older than any file under ui/. Vite runs in a process of its own on this Node.
 */
export async function ensureUiBuilt(root: string, report: (line: string) => void): Promise<void> {
  const ui = join(root, 'ui');
  if (!existsSync(ui)) return;
  const built = join(ui, 'dist', 'index.html');
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource(ui)) return;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) throw new Error('ui: Vite is not installed; run `npm ci`');
  report('ui: building…');
  const started = Date.now();
  const { code, out } = await runQuiet(
    process.execPath,
    [vite, 'build', '--config', join(ui, 'vite.config.ts'), '--logLevel', 'warn'],
    { cwd: root },
  );
  if (code !== 0) throw new Error(`ui: the build failed (exit ${code}):\n${out.trim()}`);
  report(`ui: built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/**
 * Checks that /usr/bin/chromium exists: the bootstrap installs the Debian package `chromium` for
 * `npm test` (infra/system-packages.txt) when it can.
 */
export function ensureChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install the Debian package \`chromium\``);
}
