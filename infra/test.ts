// `npm test`: static checks, then the whole suite against real Kafka and PostgreSQL. The run
// gets its own database, topics and consumer groups, so it can share servers with `npm start`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/shared/config.ts';
import { ensureInfrastructure, PROJECT_ROOT } from './provision.ts';
import { createScratchDatabase, deleteTopicsWithPrefix, dropScratchDatabase } from './scratch.ts';
import { ensureChromium, ensureUiBuilt } from './ui.ts';

const say = (line: string) => process.stdout.write(`music: ${line}\n`);

function run(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
    child.on('error', (err) => {
      say(`could not run ${cmd}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`music: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const files = process.argv.slice(2);
  // A run of chosen files is a developer's loop; the whole suite also checks types and lint.
  if (files.length === 0) {
    const bin = join(PROJECT_ROOT, 'node_modules', '.bin');
    say('type-checking and linting');
    if ((await run(join(bin, 'tsc'), ['--noEmit', '-p', '.'])) !== 0) return 1;
    if ((await run(join(bin, 'biome'), ['check', '--error-on-warnings', '.'])) !== 0) return 1;
    say('testing UI components');
    const vitest = join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    if ((await run(process.execPath, [vitest, 'run', '--config', 'ui/vite.config.ts'])) !== 0)
      return 1;
  }

  await ensureInfrastructure(config, say);
  await ensureUiBuilt(PROJECT_ROOT, say);
  // Only the browser tests need Chromium; a run of other chosen files goes without it.
  if (files.length === 0 || files.some((f) => f.includes('test/ui'))) ensureChromium(say);
  const runId = randomBytes(4).toString('hex');
  const database = `music_test_${runId}`;
  const prefix = `test-${runId}`;
  try {
    const testUrl = await createScratchDatabase(config.DATABASE_URL, database);
    say(`test run ${runId}: database ${database}, topics and groups prefixed ${prefix}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: testUrl,
      KAFKA_TOPIC: `${prefix}.music.albums`,
      KAFKA_DLQ_TOPIC: `${prefix}.music.albums.dlq`,
      KAFKA_GROUP_ID: `${prefix}-music-albums`,
      MUSIC_TEST_RUN: prefix,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    };
    return await run(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--test',
        '--test-concurrency=1',
        '--test-timeout=300000',
        ...(files.length > 0 ? files : ['test/**/*.test.ts']),
      ],
      env,
    );
  } finally {
    await dropScratchDatabase(config.DATABASE_URL, database).catch(() => {});
    await deleteTopicsWithPrefix(config.KAFKA_BROKERS, prefix).catch((err: unknown) =>
      say(`could not delete test topics: ${(err as Error).message}`),
    );
  }
}

try {
  process.exit(await main());
} catch (err) {
  process.stderr.write(`music: ${(err as Error).message}\n`);
  process.exit(1);
}
