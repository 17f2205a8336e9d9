// runProcess (src/shared/process.ts) in a child process of its own, as npm start and the probe
// run the services: the ready message, shutdown steps in reverse, and the exit codes.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';

const FIXTURE = join(import.meta.dirname, 'process-fixture.ts');

/** The fixture as a child with an IPC channel, its output and messages kept. */
function startFixture(env: Record<string, string> = {}) {
  const child = fork(FIXTURE, [], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const messages: unknown[] = [];
  const ready = new Promise<void>((resolve) =>
    child.on('message', (message: unknown) => {
      messages.push(message);
      resolve();
    }),
  );
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    ready,
    messages,
    /** Resolves with the exit code and what the child wrote, once it exited. */
    async exit() {
      const [code] = await exited;
      const lines = stdout.split('\n').filter(Boolean);
      return {
        code,
        stderr,
        steps: lines.filter((l) => l.startsWith('step ')),
        logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string }),
      };
    },
  };
}

test('SIGTERM runs the shutdown steps in reverse, each even after one failed, and exits 0', async () => {
  const fixture = startFixture();
  await fixture.ready;
  assert.deepEqual(fixture.messages, [{ type: 'ready', name: 'fixture' }]);
  fixture.child.kill('SIGTERM');
  const { code, steps, logs } = await fixture.exit();
  assert.equal(code, 0);
  // The signal is aborted before the first step runs.
  assert.deepEqual(steps, [
    'step third aborted=true',
    'step second aborted=true',
    'step first aborted=true',
  ]);
  const msgs = logs.map((l) => l.msg);
  for (const msg of ['ready', 'shutting down', 'shutdown step failed', 'stopped'])
    assert.ok(msgs.includes(msg), `logged "${msg}": ${msgs.join(', ')}`);
});

test('losing the parent (its IPC channel closes) stops the process like a signal', async () => {
  const fixture = startFixture();
  await fixture.ready;
  fixture.child.disconnect();
  const { code, steps, logs } = await fixture.exit();
  assert.equal(code, 0);
  assert.equal(steps.length, 3);
  assert.ok(logs.some((l) => l.msg === 'shutting down'));
});

test('a failing start-up undoes what it had registered, never says ready, and exits 1', async () => {
  const fixture = startFixture({ FIXTURE_FAIL: '1' });
  const { code, steps, logs } = await fixture.exit();
  assert.equal(code, 1);
  assert.deepEqual(fixture.messages, []);
  assert.deepEqual(steps, ['step second aborted=true', 'step first aborted=true']);
  assert.ok(logs.some((l) => l.msg === 'start-up failed'));
});

test('an invalid configuration is one line on stderr and exit code 2, before anything starts', async () => {
  const fixture = startFixture({ REST_PORT: 'not-a-port' });
  const { code, stderr, steps } = await fixture.exit();
  assert.equal(code, 2);
  assert.match(stderr, /^fixture: Invalid configuration: REST_PORT .*\n$/);
  assert.deepEqual(steps, []);
});

test("Node's warnings are JSON lines through the logger, not text on stderr", async () => {
  const fixture = startFixture({ FIXTURE_WARN: '1' });
  await fixture.ready;
  fixture.child.kill('SIGTERM');
  const { code, stderr, logs } = await fixture.exit();
  assert.equal(code, 0);
  const warning = logs.find((l) => l.msg === 'node warning: a warning on purpose') as
    | { level: number; err?: { name?: string; message?: string } }
    | undefined;
  assert.ok(warning, `logged: ${logs.map((l) => l.msg).join(', ')}`);
  assert.equal(warning.level, 40, 'at warn');
  assert.equal(warning.err?.name, 'FixtureWarning');
  assert.doesNotMatch(stderr, /FixtureWarning|a warning on purpose/);
});

test('an uncaught exception is a JSON line at fatal, then an orderly shutdown with exit code 1', async () => {
  const fixture = startFixture({ FIXTURE_THROW: '1' });
  const { code, stderr, steps, logs } = await fixture.exit();
  assert.equal(code, 1);
  const fatal = logs.find((l) => l.msg === 'uncaught exception') as
    | { level: number; err?: { message?: string; stack?: string } }
    | undefined;
  assert.ok(fatal, `logged: ${logs.map((l) => l.msg).join(', ')}`);
  assert.equal(fatal.level, 60);
  assert.equal(fatal.err?.message, 'thrown on purpose');
  assert.match(fatal.err?.stack ?? '', /process-fixture\.ts/, 'the stack is in the line');
  assert.equal(steps.length, 3, 'the shutdown steps ran');
  assert.equal(stderr, '', 'nothing as plain text');
});
