// Entry of `npm start` and `npm test` on a fresh clone. It runs on whatever Node the machine
// has (so: plain JavaScript, Node 18+ APIs only), makes node_modules match package-lock.json,
// builds the native Kafka client for the pinned Node 24, then hands over to infra/<command>.ts
// on that Node 24.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const modules = join(root, 'node_modules');
const node24 = join(modules, '.bin', 'node');
const stampFile = join(modules, '.music-install-stamp');
const [command = 'start', ...args] = process.argv.slice(2);
// Read before anything slow: if npm dies meanwhile, we are re-parented and must notice.
const parent = process.ppid;

function say(line) {
  process.stdout.write(`music: ${line}\n`);
}

function fail(line) {
  process.stderr.write(`music: ${line}\n`);
  process.exit(1);
}

// What npm ci installs is fully described by the lockfile (and the platform it ran on).
function installStamp() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  return createHash('sha256')
    .update(lock)
    .update(process.platform + process.arch)
    .digest('hex');
}

/** Runs a step with a ticking elapsed-time line; its output is shown only if it fails. */
function step(label, cmd, cmdArgs, env = {}) {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  const tick = () => `music: ${label} (${Math.round((Date.now() - started) / 1000)}s)`;
  const timer = tty ? setInterval(() => process.stdout.write(`\r${tick()}`), 1000) : null;
  if (!tty) say(`${label}…`);
  const result = spawnSync(cmd, cmdArgs, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (timer) clearInterval(timer);
  if (tty) process.stdout.write(`\r${tick()} done\n`);
  else say(`${label} done in ${Math.round((Date.now() - started) / 1000)}s`);
  if (result.status !== 0) {
    const out = `${result.stdout ?? ''}${result.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-15)
      .join('\n');
    fail(`${label} failed:\n${out || result.error?.message || 'no output'}`);
  }
}

function nativeClientLoads() {
  const probe = spawnSync(node24, ['-e', "require('@confluentinc/kafka-javascript')"], {
    cwd: root,
  });
  return probe.status === 0;
}

function requireTools(tools, hint) {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) fail(`missing ${missing.join(', ')}: install them (${hint})`);
}

function ensureDependencies() {
  if (!existsSync(join(root, 'package-lock.json'))) fail('package-lock.json is missing');
  const want = installStamp();
  const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
  if (want === have && existsSync(node24)) return;
  // Scripts are run afterwards, one by one, so that native code builds for Node 24 and not for
  // the Node that happens to run npm.
  step('installing packages from package-lock.json (npm ci)', 'npm', [
    'ci',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
  step('installing the pinned Node 24 runtime', 'npm', ['rebuild', 'node', '--loglevel=error']);
  if (!existsSync(node24)) fail('the Node 24 runtime did not install (node_modules/.bin/node)');
  if (!nativeClientLoads()) {
    const hint =
      'Debian: apt-get install build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev';
    requireTools(['make', 'g++', 'python3', 'pkg-config'], hint);
    // librdkafka's configure leaves out what it cannot find, silently: without zstd headers the
    // client would build, then stall on the first zstd-compressed record another producer sent.
    const libraries = ['libssl', 'zlib', 'libzstd', 'liblz4', 'libsasl2', 'libcurl'];
    const absent = libraries.filter((l) => spawnSync('pkg-config', ['--exists', l]).status !== 0);
    if (absent.length > 0) fail(`missing development files of ${absent.join(', ')} (${hint})`);
    const nodeDir = join(
      modules,
      'node',
      'node_modules',
      `node-${process.platform}-${process.arch}`,
    );
    step(
      'building the librdkafka Kafka client for Node 24 (1-3 minutes)',
      'npm',
      ['rebuild', '@confluentinc/kafka-javascript', '--loglevel=error'],
      {
        PATH: `${join(modules, '.bin')}${delimiter}${process.env.PATH ?? ''}`,
        CKJS_LINKING: 'dynamic',
        npm_config_build_from_source: 'true',
        npm_config_nodedir: nodeDir,
      },
    );
    if (!nativeClientLoads())
      fail('the librdkafka client was built but does not load under Node 24');
  }
  writeFileSync(stampFile, want);
}

ensureDependencies();

const entry = join(root, 'infra', `${command}.ts`);
if (!existsSync(entry)) fail(`unknown command "${command}"`);
const child = spawn(node24, ['--disable-warning=ExperimentalWarning', entry, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${join(modules, '.bin')}${delimiter}${process.env.PATH ?? ''}` },
});
// The child owns shutdown; these only keep the bootstrap alive until the child is done.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
// npm does not always pass its own termination on (and cannot when it is SIGKILLed): when it
// is gone, we are re-parented, and the run stops as if it had been told to.
const orphaned = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(orphaned);
    child.kill('SIGTERM');
  }
}, 500);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
