// Fixes in installed dependencies that their releases lack, applied right after `npm ci` (by
// infra/bootstrap.mjs and the Dockerfile). Each one replaces exact text and fails loudly when
// that text is not there (a new version: check whether the fix landed, then drop the entry).
// Plain JavaScript: it runs on whatever Node runs npm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * postgres 3.4.9: a write shorter than 1 KiB is flushed on the next turn (setImmediate); when the
 * connection closes first (a killed backend), `socket` is null by then and the flush throws a
 * TypeError no caller can catch, which ends the process (porsager/postgres#1066, #1154, #1208;
 * fix proposed in #1168). Teardown also cleared that timer without forgetting it, so a
 * reconnected connection never flushed a short write again. The flush now drops what was meant
 * for the closed socket (its queries were already rejected), and teardown forgets the timer.
 */
const POSTGRES_NULL_SOCKET = {
  files: ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) =>
    join('node_modules', 'postgres', f),
  ),
  version: { file: join('node_modules', 'postgres', 'package.json'), is: '3.4.9' },
  edits: [
    [
      '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
      '  function nextWrite(fn) {\n    if (socket === null) { chunk = nextWriteTimer = null; return false } // music-service patch\n    const x = socket.write(chunk, fn)',
    ],
    [
      '    clearImmediate(nextWriteTimer)\n    if (socket) {',
      '    clearImmediate(nextWriteTimer)\n    nextWriteTimer = null // music-service patch\n    if (socket) {',
    ],
    [
      '    clearImmediate(nextWriteTimer)\n    socket.removeListener(',
      '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null // music-service patch\n    socket.removeListener(',
    ],
  ],
};

/** Applies every patch; a file already patched is left as it is. Returns the files changed. */
export function patchDependencies() {
  const changed = [];
  const { version } = POSTGRES_NULL_SOCKET;
  const installed = JSON.parse(readFileSync(join(root, version.file), 'utf8')).version;
  if (installed !== version.is)
    throw new Error(
      `postgres ${installed} installed, the null-socket patch is for ${version.is}: check whether it is still needed`,
    );
  for (const file of POSTGRES_NULL_SOCKET.files) {
    const path = join(root, file);
    let text = readFileSync(path, 'utf8');
    if (text.includes('// music-service patch')) continue;
    for (const [from, to] of POSTGRES_NULL_SOCKET.edits) {
      if (!text.includes(from))
        throw new Error(`${file}: the text to patch was not found: ${from}`);
      text = text.replace(from, to);
    }
    writeFileSync(path, text);
    changed.push(file);
  }
  return changed;
}

if (process.argv[1] === import.meta.filename) {
  const changed = patchDependencies();
  process.stdout.write(`patched: ${changed.join(', ') || 'nothing (already patched)'}\n`);
}
