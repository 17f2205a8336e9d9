// The Debian packages of infra/system-packages.txt: which ones a command needs, which are
// missing, and what to do about it. Plain JavaScript on Node 18+ APIs: the bootstrap runs it on
// whatever Node the machine has, before the pinned Node 24 is installed.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The packages `command` (start, test, bench) needs, in the order of the file. */
export function packagesFor(listFile, command) {
  return readFileSync(listFile, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name, commands, ...why] = line.split(/\s+/);
      return { name, commands: commands.split(','), why: why.join(' ') };
    })
    .filter((p) => p.commands.includes(command));
}

/** Whether dpkg knows the package as installed; null when this is not a dpkg system. */
export function dpkgInstalled(names) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
  const format = '-f=${Package} ${Status}\\n';
  const result = spawnSync('dpkg-query', ['-W', format, ...names], {
    encoding: 'utf8',
  });
  if (result.error) return null;
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((l) => l.endsWith(' install ok installed'))
      .map((l) => l.split(' ')[0]),
  );
  return new Map(names.map((n) => [n, installed.has(n)]));
}

/**
 * What to do about the missing packages: nothing, install them (root with apt-get), or tell the
 * person the one command to run. `lookup` answers dpkgInstalled's question (tests fake it).
 */
export function installPlan(packages, { lookup = dpkgInstalled, isRoot, hasApt }) {
  const names = packages.map((p) => p.name);
  const installed = lookup(names);
  if (installed === null) return { action: 'none', missing: [] };
  const missing = names.filter((n) => !installed.get(n));
  if (missing.length === 0) return { action: 'none', missing };
  if (isRoot && hasApt) return { action: 'install', missing };
  return {
    action: 'advise',
    missing,
    line: `missing Debian packages ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`,
  };
}

/** The facts installPlan needs about this machine. */
export function machine() {
  return {
    isRoot: process.getuid?.() === 0,
    hasApt: spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0,
  };
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`apt-get ${args.join(' ')} failed (exit ${code}): ${err.trim()}`)),
    );
  });
}

/** apt-get update, then install: as .ci/run does. */
export async function aptInstall(missing) {
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', ...missing]);
}
