// The Debian packages the bootstrap installs or asks for, with dpkg's answers faked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { installPlan, packagesFor } from '../../infra/system-packages.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const LIST = join(ROOT, 'infra', 'system-packages.txt');
const BUILD_LIBRARIES = ['libzstd-dev', 'liblz4-dev', 'libsasl2-dev', 'libcurl4-openssl-dev'];

/** dpkg's answer on a machine where `absent` are not installed. */
const without =
  (absent: readonly string[]) =>
  (names: readonly string[]): Map<string, boolean> =>
    new Map(names.map((n) => [n, !absent.includes(n)]));

test('each command needs the packages listed for it; only the tests need a browser', () => {
  const start = packagesFor(LIST, 'start').map((p) => p.name);
  const tests = packagesFor(LIST, 'test').map((p) => p.name);
  for (const name of [...BUILD_LIBRARIES, 'postgresql', 'maven', 'openjdk-17-jre-headless'])
    assert.ok(start.includes(name), name);
  assert.ok(tests.includes('chromium'));
  assert.ok(!start.includes('chromium'));
  for (const p of packagesFor(LIST, 'test')) assert.ok(p.why.length > 0, `${p.name} says why`);
});

test('as root with apt-get, missing packages are installed', () => {
  const plan = installPlan(packagesFor(LIST, 'start'), {
    lookup: without(BUILD_LIBRARIES),
    isRoot: true,
    hasApt: true,
  });
  assert.deepEqual(plan, { action: 'install', missing: BUILD_LIBRARIES });
});

test('without root, the one command to run is named', () => {
  const plan = installPlan(packagesFor(LIST, 'start'), {
    lookup: without(['libzstd-dev', 'maven']),
    isRoot: false,
    hasApt: true,
  });
  assert.equal(plan.action, 'advise');
  assert.equal(
    plan.line,
    'missing Debian packages maven, libzstd-dev; install them with: sudo apt-get install -y maven libzstd-dev',
  );
});

test('nothing to do when all are installed, or on a system without dpkg', () => {
  const packages = packagesFor(LIST, 'test');
  const opts = { isRoot: true, hasApt: true };
  assert.equal(installPlan(packages, { ...opts, lookup: without([]) }).action, 'none');
  assert.equal(installPlan(packages, { ...opts, lookup: () => null }).action, 'none');
});

test('.ci/run installs from the same list', () => {
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /infra\/system-packages\.txt/);
  assert.doesNotMatch(ci, /libzstd-dev/, 'no second copy of the list');
});
