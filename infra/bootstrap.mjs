// Entry of `npm start`, `npm test` and `npm run bench` on a fresh clone. It runs on whatever Node
// the machine has (so: plain JavaScript, Node 18+ APIs only), installs the Debian packages that
// are missing, makes node_modules match package-lock.json with the pinned Node 24, then hands
// over to infra/<command>.ts on that Node 24.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchDependencies } from './patch-dependencies.mjs';
import { aptInstall, installPlan, machine, packagesFor } from './system-packages.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const modules = join(root, 'node_modules');
const node24 = join(modules, '.bin', 'node');
const stampFile = join(modules, '.music-install-stamp');
const [command = 'start', ...args] = process.argv.slice(2);
// Read before anything slow: if npm dies meanwhile, we are re-parented and must notice.
const parent = process.ppid;
const launchedAt = Date.now();

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

/** Runs a step in the background, saying when it starts and ends; its output is shown only if it fails. */
async function step(label, cmd, cmdArgs) {
  const started = Date.now();
  say(`${label}…`);
  const result = await new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', (error) => resolve({ code: null, out: error.message }));
    child.on('close', (code) => resolve({ code, out }));
  });
  if (result.code !== 0) {
    const tail = result.out.trim().split('\n').slice(-15).join('\n');
    fail(`${label} failed:\n${tail || 'no output'}`);
  }
  say(`${label} done in ${seconds(started)}s`);
}

const seconds = (since) => Math.round((Date.now() - since) / 1000);

/** Installs the Debian packages the command needs, as root; otherwise says what to run. */
async function ensureSystemPackages() {
  const plan = installPlan(
    packagesFor(join(root, 'infra', 'system-packages.txt'), command),
    machine(),
  );
  if (plan.action === 'advise') say(plan.line);
  if (plan.action !== 'install') return;
  const started = Date.now();
  say(`installing Debian packages ${plan.missing.join(' ')} (apt-get)…`);
  await aptInstall(plan.missing).catch((err) => fail(err.message));
  say(`Debian packages installed in ${seconds(started)}s`);
}

async function ensureNodeModules() {
  if (!existsSync(join(root, 'package-lock.json'))) fail('package-lock.json is missing');
  const want = installStamp();
  const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
  if (want === have && existsSync(node24)) return;
  // Scripts are run afterwards: the pinned Node here, the native Kafka client by infra/ on that
  // Node (infra/native-client.ts), so that native code builds for Node 24 and not for the Node
  // that happens to run npm.
  await step('installing packages from package-lock.json (npm ci)', 'npm', [
    'ci',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
  await step('installing the pinned Node 24 runtime', 'npm', [
    'rebuild',
    'node',
    '--loglevel=error',
  ]);
  if (!existsSync(node24)) fail('the Node 24 runtime did not install (node_modules/.bin/node)');
  writeFileSync(stampFile, want);
}

// Independent: apt-get and npm ci overlap.
await Promise.all([ensureSystemPackages(), ensureNodeModules()]);
// Every run: cheap, and an install from before a patch was added gets it too.
for (const file of patchDependencies()) say(`patched ${file}`);

const entry = join(root, 'infra', `${command}.ts`);
if (!existsSync(entry)) fail(`unknown command "${command}"`);
const child = spawn(node24, ['--disable-warning=ExperimentalWarning', entry, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PATH: `${join(modules, '.bin')}${delimiter}${process.env.PATH ?? ''}`,
    // So that the command can report its total time, installs included.
    MUSIC_LAUNCHED_AT: String(launchedAt),
  },
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
