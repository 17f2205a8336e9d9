// The rules of docs/architecture.md that a machine can check: what each layer may import, how
// long a source file may grow, and that each process's main.ts stays a few lines.
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const SOURCES = globSync('src/**/*.ts', { cwd: ROOT }).filter((f) => !f.startsWith('src/gen/'));

/** The layer of a file under src/: its first folder. */
const layerOf = (file: string): string => file.split('/')[1] ?? '';

/** What each layer may import from src/, besides itself (packages are not limited here). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  shared: [],
  domain: ['gen', 'shared'],
  services: ['domain', 'shared'],
  adapters: ['domain', 'shared', 'gen'],
  apps: ['services', 'adapters', 'domain', 'shared', 'gen'],
};

/** The files under src/ that `file` imports (relative imports only). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) =>
    relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)),
  );
}

test('every layer imports only the layers below it', () => {
  assert.ok(SOURCES.length > 50, `${SOURCES.length} files found`);
  const broken: string[] = [];
  for (const file of SOURCES) {
    const layer = layerOf(file);
    const allowed = MAY_IMPORT[layer];
    assert.ok(allowed, `${file}: no rule for the layer ${layer}`);
    for (const target of importsOf(file)) {
      const to = layerOf(target);
      if (to !== layer && !allowed.includes(to)) broken.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('only shared/errors.ts of shared/ is known to the domain', () => {
  const reached = SOURCES.filter((f) => layerOf(f) === 'domain')
    .flatMap(importsOf)
    .filter((t) => layerOf(t) === 'shared');
  assert.deepEqual([...new Set(reached)], ['src/shared/errors.ts']);
});

test('no written source file is over 300 lines; each process main.ts under 40', () => {
  const lines = (f: string) => readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1;
  assert.deepEqual(
    SOURCES.filter((f) => lines(f) > 300).map((f) => `${f}: ${lines(f)}`),
    [],
  );
  const mains = SOURCES.filter((f) => /^src\/apps\/[^/]+\/main\.ts$/.test(f));
  assert.ok(mains.length >= 5, mains.join(', '));
  assert.deepEqual(
    mains.filter((f) => lines(f) >= 40).map((f) => `${f}: ${lines(f)}`),
    [],
  );
});
