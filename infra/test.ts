// `npm test`: the static checks and the unit tests (no servers) run beside the provisioning of
// Kafka and PostgreSQL, then the integration and end-to-end tests run against them, several
// files at a time. The run gets its own database (one copy per file), topics and consumer
// groups, so it can share the servers of a running `npm start`.
//
// `npm test -- FILE…` runs chosen files; `npm run test:unit` only the unit tier.
import { randomBytes } from 'node:crypto';
import { globSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { ConfigError, loadConfig } from '../src/shared/config.ts';
import { ensureJaeger } from './jaeger.ts';
import { ensureKafkaJars } from './kafka.ts';
import { kafkaEnv } from './kafka-auth.ts';
import { ensureNativeClient } from './native-client.ts';
import { ensureLocalPasswords } from './postgres-roles.ts';
import { dataDir, ensureInfrastructure, kafkaAccess, PROJECT_ROOT } from './provision.ts';
import { runQuiet } from './run-quiet.ts';
import {
  createScratchDatabase,
  databaseEnvOn,
  deleteTopicsWithPrefix,
  dropScratchDatabase,
} from './scratch.ts';
import { longestFirst, readDurations, TestReport } from './test-report.ts';
import { ensureChromium, ensureUiBuilt } from './ui.ts';

const say = (line: string) => process.stdout.write(`music: ${line}\n`);
const BIN = join(PROJECT_ROOT, 'node_modules', '.bin');
const MODULES = join(PROJECT_ROOT, 'node_modules');
/** Files that need real servers end in .int.test.ts (integration) or .e2e.test.ts (browser). */
const NEEDS_SERVERS = /\.(int|e2e)\.test\.ts$/;
/** Integration files at a time: most of their time is spent waiting on the broker. */
const CONCURRENCY = Number(process.env.MUSIC_TEST_CONCURRENCY ?? 3);
/** Where nothing listens: a unit test that reaches for a server fails at once. */
const NO_SERVERS = {
  DATABASE_URL: 'postgres://music:unit@127.0.0.1:1/unit-tests-have-no-database',
  KAFKA_BROKERS: '127.0.0.1:1',
};

/** Runs a check with its output kept, shown only when it fails. */
async function check(label: string, cmd: string, args: readonly string[]): Promise<boolean> {
  const started = Date.now();
  const { code, out } = await runQuiet(cmd, args, { cwd: PROJECT_ROOT });
  const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
  if (code === 0) say(`${label}: ok (${took})`);
  else process.stdout.write(`music: ${label}: FAILED (exit ${code}, ${took})\n${out}\n`);
  return code === 0;
}

/** Type-checks, lints and tests the UI's components; the labels of those that failed. */
async function staticChecks(): Promise<string[]> {
  const node = process.execPath;
  const checks: [label: string, cmd: string, args: string[]][] = [
    ['tsc', join(BIN, 'tsc'), ['--noEmit', '-p', '.']],
    ['biome', join(BIN, 'biome'), ['check', '--error-on-warnings', '.']],
    // svelte-check needs TypeScript's JS API (5 or 6): ui/typecheck installs it with one.
    [
      'svelte-check',
      node,
      [
        join(
          PROJECT_ROOT,
          'ui',
          'typecheck',
          'node_modules',
          'svelte-check',
          'bin',
          'svelte-check',
        ),
        '--workspace',
        'ui',
        '--tsconfig',
        './tsconfig.json',
        '--fail-on-warnings',
        '--output',
        'human',
      ],
    ],
    [
      'ui components (vitest)',
      node,
      [join(MODULES, 'vitest', 'vitest.mjs'), 'run', '--config', 'ui/vite.config.ts'],
    ],
  ];
  const passed = await Promise.all(checks.map(([label, cmd, args]) => check(label, cmd, args)));
  return checks.filter((_, i) => !passed[i]).map(([label]) => label);
}

/** One node:test run over `files`, reported as it goes and counted in `report`. */
async function runFiles(
  label: string,
  files: readonly string[],
  concurrency: number,
  env: NodeJS.ProcessEnv,
  report: TestReport,
): Promise<void> {
  if (files.length === 0) return;
  const started = Date.now();
  say(`${label}: ${files.length} files, ${concurrency} at a time`);
  const stream = run({
    files: [...files],
    concurrency,
    cwd: PROJECT_ROOT,
    timeout: 300_000,
    // A file whose tests ended but left a handle open (a client a failed test never closed) ends
    // too, instead of holding the whole run until CI's own limit.
    forceExit: true,
    env,
    execArgv: ['--disable-warning=ExperimentalWarning'],
  });
  report.watch(stream);
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('data', (chunk: string | Buffer) => process.stdout.write(chunk));
    out.on('end', resolve);
    out.on('error', reject);
  });
  say(`${label}: done in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    // Before the configuration: it reads the local roles' passwords (first run: generated now).
    ensureLocalPasswords();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`music: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const chosen = args.filter((a) => a !== '--unit');
  const whole = chosen.length === 0;
  const all = whole ? globSync('test/**/*.test.ts', { cwd: PROJECT_ROOT }).sort() : chosen;
  const unitFiles = all.filter((f) => !NEEDS_SERVERS.test(f));
  const serverFiles = unitOnly ? [] : all.filter((f) => NEEDS_SERVERS.test(f));
  const started = Date.now();
  const report = new TestReport(PROJECT_ROOT);
  const timesFile = join(dataDir(config), 'test-durations.json');

  // Jaeger, for the tracing test: built from the first moment at the lowest priority, beside
  // everything else, and waited for by that test alone (which reports a failed build).
  if (serverFiles.some((f) => f.endsWith('tracing.int.test.ts')))
    ensureJaeger(dataDir(config), say).catch(() => {});

  // Phase 1, side by side: checks and unit tests on one hand, the servers on the other.
  const native = ensureNativeClient(PROJECT_ROOT, say);
  const uiBuilt = ensureUiBuilt(PROJECT_ROOT, say);
  const provisioned =
    serverFiles.length > 0
      ? Promise.all([
          ensureInfrastructure(config, say),
          // The fault tests start brokers of their own from these jars, even when the shared
          // broker was already running (and so resolved nothing).
          ensureKafkaJars({ projectRoot: PROJECT_ROOT, dataDir: dataDir(config), report: say }),
          uiBuilt,
          native,
          serverFiles.some((f) => f.includes('.e2e.')) ? ensureChromium() : undefined,
        ])
      : Promise.resolve();
  // A failure here is reported after phase 1, not as an unhandled rejection meanwhile.
  provisioned.catch(() => {});
  // Some unit tests read the built UI (its CSP test): a fresh clone has none yet.
  const unitReady = Promise.all([native, uiBuilt]);
  const [failedChecks] = await Promise.all([
    whole && !unitOnly ? staticChecks() : Promise.resolve([]),
    unitReady.then(() =>
      runFiles('unit tests', unitFiles, 2, { ...process.env, ...NO_SERVERS }, report),
    ),
  ]);
  // Said again at the end, where a reader of a long log looks first.
  if (failedChecks.length > 0) {
    say(`failed: ${failedChecks.join(', ')} (their output is above)`);
    return 1;
  }
  await provisioned;

  // Phase 2: integration and end-to-end tests, the longest files (by the last run) first.
  if (serverFiles.length > 0) {
    const runId = randomBytes(4).toString('hex');
    const database = `music_test_${runId}`;
    const prefix = `test-${runId}`;
    const kafkaAdmin = kafkaAccess(config)('admin');
    try {
      // As the owner (which may create databases); the services then run as the writer and the
      // reader there, with the rights migration 008 granted, as they do on `music`.
      await createScratchDatabase(config.DATABASE_MIGRATE_URL, database);
      say(`test run ${runId}: databases ${database}_*, topics and groups prefixed ${prefix}`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...databaseEnvOn(config, database),
        MUSIC_TEST_TEMPLATE_DB: database,
        MUSIC_TEST_BASE_URL: config.DATABASE_MIGRATE_URL,
        // The tests' clients and runtimes connect as the admin (topics and groups of their own);
        // test/infra/kafka-acls.int.test.ts tries the services' principals.
        ...kafkaEnv(kafkaAdmin),
        KAFKA_TOPIC: `${prefix}.music.albums`,
        KAFKA_DLQ_TOPIC: `${prefix}.music.albums.dlq`,
        KAFKA_GROUP_ID: `${prefix}-music-albums`,
        MUSIC_TEST_RUN: prefix,
        // Services the tests spawn serve metrics on a free port: files run side by side.
        METRICS_PORT: '0',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      };
      const ordered = longestFirst(serverFiles, readDurations(timesFile));
      await runFiles('integration tests', ordered, CONCURRENCY, env, report);
    } finally {
      await dropScratchDatabase(config.DATABASE_MIGRATE_URL, database, true).catch(() => {});
      await deleteTopicsWithPrefix(kafkaAdmin, prefix).catch((err: unknown) =>
        say(`could not delete test topics: ${(err as Error).message}`),
      );
    }
  }

  report.save(timesFile);
  for (const failure of report.failures) say(`failed: ${failure}`);
  say(`slowest files: ${report.slowest(10)}`);
  say(
    `${unitFiles.length + serverFiles.length} files in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
  // The plain closing line, alone, for whoever reads the end of the log.
  process.stdout.write(
    `tests: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped\n`,
  );
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}

try {
  process.exit(await main());
} catch (err) {
  // On stdout, after everything else the run printed there.
  say(`failed: ${(err as Error).message}`);
  process.exit(1);
}
