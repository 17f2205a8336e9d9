// The Dockerfile, read statically: a build stage that compiles librdkafka as the project does, a
// slim Node 24 runtime stage with production dependencies only, running as a non-root user.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { CONFIG_KEYS } from '../../src/shared/config.ts';
import { expandArgs, pkg, ROOT, readDockerfile, type Stage } from './files.ts';

const dockerfile = readDockerfile(join(ROOT, 'Dockerfile'));
const { stages, globalArgs } = dockerfile;
const runtime = stages.at(-1);
const build = stages[0];
const runs = (s: Stage | undefined) =>
  (s?.instructions ?? []).filter((i) => i.op === 'RUN').map((i) => i.args);
const aptPackages = (s: Stage | undefined) =>
  runs(s)
    .filter((r) => r.includes('apt-get install'))
    .flatMap((r) => r.split(/\s+/))
    .filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w) && !['apt-get', 'install'].includes(w));

test('multi-stage: the last stage copies what it needs from earlier stages only', () => {
  assert.ok(stages.length >= 2, 'at least a build and a runtime stage');
  const names = new Set<string>();
  for (const stage of stages) {
    for (const i of stage.instructions.filter((x) => x.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      if (from) assert.ok(names.has(from), `COPY --from=${from} names an earlier stage`);
    }
    if (stage.name) names.add(stage.name);
  }
});

test('both stages run the Node 24 the project pins, on Debian bookworm; the runtime is slim', () => {
  const pinned = pkg.dependencies.node;
  assert.match(pinned ?? '', /^24\.\d+\.\d+$/, 'package.json pins Node 24');
  assert.equal(globalArgs.NODE_VERSION, pinned, 'ARG NODE_VERSION is that version');
  for (const stage of stages) {
    const base = expandArgs(stage.base, globalArgs);
    assert.match(base, /^node:24\.\d+\.\d+-bookworm(-slim)?$/, `${stage.name}: ${base}`);
  }
  assert.match(expandArgs(runtime?.base ?? '', globalArgs), /-bookworm-slim$/);
  assert.doesNotMatch(expandArgs(build?.base ?? '', globalArgs), /-slim$/, 'build has compilers');
});

test('the build stage installs librdkafka build deps and builds it dynamically, as npm start does', () => {
  // The packages infra/system-packages.txt installs for librdkafka's build.
  const needs = readFileSync(join(ROOT, 'infra', 'system-packages.txt'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#') && /librdkafka|node-gyp/.test(line))
    .map((line) => line.split(/\s+/)[0] ?? '');
  assert.ok(needs.length >= 9, `build packages listed: ${needs.join(' ')}`);
  assert.deepEqual(
    needs.filter((p) => !aptPackages(build).includes(p)),
    [],
  );
  // The same steps as npm start: npm ci without scripts, then the client's build.
  assert.match(readFileSync(join(ROOT, 'infra', 'bootstrap.mjs'), 'utf8'), /'--ignore-scripts'/);
  const nativeBuild = readFileSync(join(ROOT, 'infra', 'native-client.ts'), 'utf8');
  assert.match(nativeBuild, /CKJS_LINKING: 'dynamic'/);
  const all = runs(build).join('\n');
  assert.match(all, /npm ci --ignore-scripts/);
  assert.match(all, /CKJS_LINKING=dynamic[\s\S]*npm rebuild @confluentinc\/kafka-javascript/);
  assert.match(all, /npm_config_build_from_source=true/);
  assert.match(all, /vite(\.js)? build --config ui\/vite\.config\.ts/, 'the UI is built');
  assert.match(all, /npm prune --omit=dev/, 'only production dependencies remain');
});

test('the runtime stage installs the shared libraries librdkafka links to, and no compilers', () => {
  const has = aptPackages(runtime);
  for (const lib of ['libssl3', 'zlib1g', 'libzstd1', 'liblz4-1', 'libsasl2-2', 'libcurl4'])
    assert.ok(has.includes(lib), lib);
  for (const tool of ['build-essential', 'python3', 'libssl-dev'])
    assert.ok(!has.includes(tool), `no ${tool} at runtime`);
  const copied = (runtime?.instructions ?? [])
    .filter((i) => i.op === 'COPY')
    .map((i) => i.args.split(/\s+/).at(-2));
  for (const path of ['/app/package.json', '/app/node_modules', '/app/src', '/app/ui/dist'])
    assert.ok(copied.includes(path), `the runtime has ${path}`);
});

test('the runtime runs as a non-root user, numerically so Kubernetes can check runAsNonRoot', () => {
  const users = (runtime?.instructions ?? []).filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args;
  assert.ok(user, 'a USER instruction');
  const [uid] = user.split(':');
  assert.match(uid ?? '', /^\d+$/, 'a numeric uid');
  assert.notEqual(Number(uid), 0, 'not root');
});

test('the default command runs the REST API from source; ENV sets only known variables', () => {
  const cmd = (runtime?.instructions ?? []).filter((i) => i.op === 'CMD').at(-1)?.args ?? '';
  const argv = JSON.parse(cmd) as string[];
  assert.deepEqual(argv, ['node', 'src/apps/rest/main.ts']);
  assert.ok(existsSync(join(ROOT, argv[1] ?? '')));
  const env = (runtime?.instructions ?? [])
    .filter((i) => i.op === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]] as const));
  for (const [key] of env) assert.ok((CONFIG_KEYS as readonly string[]).includes(key ?? ''), key);
  // Inside a container the APIs must be reachable from outside it.
  assert.deepEqual(Object.fromEntries(env), { REST_HOST: '0.0.0.0', GRPC_HOST: '0.0.0.0' });
});

test('.dockerignore keeps node_modules and local data out, and nothing the build copies', () => {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const p of ['**/node_modules', '.git', '.data']) assert.ok(patterns.includes(p), p);
  for (const needed of ['package.json', 'package-lock.json', 'src', 'ui', 'bin'])
    assert.ok(!patterns.includes(needed), `${needed} is in the build context`);
});

/** Every source file under dir (TypeScript and the generated JavaScript). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

test('every package src/ imports at run time is a production dependency (the image has no others)', () => {
  const builtins = new Set(builtinModules);
  const missing: string[] = [];
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    // `import type` is erased when Node strips types, so it needs nothing at run time.
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)(?!\s+type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ].map((m) => m[1] ?? '');
    for (const s of specifiers) {
      if (s.startsWith('.') || s.startsWith('node:') || builtins.has(s)) continue;
      const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] ?? s);
      if (!(name in pkg.dependencies)) missing.push(`${relative(ROOT, file)}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});
