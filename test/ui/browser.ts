// What the UI's browser tests share: the stack they drive, Chromium, axe-core and where
// screenshots go.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { reservedPort } from '../../infra/reserved-ports.ts';
import { CHROMIUM } from '../../infra/ui.ts';
import { uniqueName, waitFor } from '../support/stack.ts';

const root = join(import.meta.dirname, '..', '..');
/** Screenshots, to be looked at: test-results/ui. */
export const shots = join(root, 'test-results', 'ui');
export const AXE = join(root, 'node_modules', 'axe-core', 'axe.min.js');

/** `npm start` on this run's database, with its own topic, group and ports. */
export async function startStack(): Promise<{ base: string; stop: () => Promise<void> }> {
  const topic = uniqueName('ui');
  // Below the ephemeral range and claimed: no outgoing connection or other test takes them.
  const rest = await reservedPort();
  const grpc = await reservedPort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'infra/start.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: `${topic}.dlq`,
        KAFKA_GROUP_ID: uniqueName('ui-group'),
        REST_PORT: String(rest),
        GRPC_PORT: String(grpc),
        // Ports the system hands out: two `npm start`s at once (the UI files, the start test)
        // would both find 9464 free and the second REST API to bind it would exit.
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  try {
    const base = await waitFor(
      `music-service is up\n${output}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
        return output.match(/REST API and UI\s+(http:\/\/\S+?)\/\s/)?.[1];
      },
      180_000,
    );
    return { base, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Chromium as the tests drive it: headless, nothing in the background. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The ids of axe-core's WCAG 2 A/AA violations on the page (axe injected: needs bypassCSP). */
export const AXE_RUN = `
  axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }).then((r) => ({
    passed: r.passes.length,
    violations: r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' | ')),
  }))
`;
