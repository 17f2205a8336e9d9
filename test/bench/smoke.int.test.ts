import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFigure, REQUIRED_FIGURES } from '../../bench/result.ts';

const root = join(import.meta.dirname, '..', '..');

test('a tiny bench run ends with one JSON line holding every figure (rates above 0, latencies 0 or more)', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'music-bench-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'infra/bench.ts', '--smoke', '--out', out],
    { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  // The bench names what it could not measure on a line before its JSON.
  const said = stdout.split('\n').filter((l) => l.startsWith('music: ') && !l.includes('wrote '));
  assert.equal(
    code,
    0,
    `bench exited ${code}:\n${said.slice(-15).join('\n')}\n${stderr.slice(-2000)}`,
  );

  const lines = stdout.trimEnd().split('\n');
  const result = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
  assert.equal(result.mode, 'smoke');
  for (const name of REQUIRED_FIGURES) {
    const value = result[name];
    assert.ok(isFigure(name, value), `${name} is ${JSON.stringify(value)}`);
  }
  assert.equal((result.machine as { cores: number }).cores > 0, true);
  // The servers' CPU is found by their processes (the broker by the port in its properties).
  const cpu = result.cpu_ms as Record<string, Record<string, number> | undefined>;
  assert.ok(
    (cpu.kafka_ceiling?.kafka ?? 0) > 0,
    `broker CPU: ${JSON.stringify(cpu.kafka_ceiling)}`,
  );
  assert.ok((cpu.db_ceiling?.postgres ?? 0) > 0, `database CPU: ${JSON.stringify(cpu.db_ceiling)}`);
  // Each write measurement says how many requests a Kafka transaction served.
  const rounds = result.publishes_per_round as Record<string, number | undefined>;
  for (const phase of ['ingest', 'post_single', 'e2e'])
    assert.ok((rounds[phase] ?? 0) >= 1, `publishes per round: ${JSON.stringify(rounds)}`);
  const chart = readFileSync(join(out, 'benchmarks.svg'), 'utf8');
  assert.ok(chart.startsWith('<svg') && chart.trimEnd().endsWith('</svg>'));
  assert.ok(!existsSync(join(out, 'benchmarks.md')), 'the smoke run writes no document');
});
