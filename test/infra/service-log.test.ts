// A service's log rotates by size and keeps a bounded number of files, across restarts of the
// service (which share one stream), and what a stopped child wrote last is in the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { closeServiceLogs, logWritten, serviceLog } from '../../infra/service-log.ts';
import { spawnService, stopService, whenReady } from '../../infra/services.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function scratch(t: { after: (fn: () => unknown) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'music-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('past its size the log moves to .1, the older ones up, and at most `files` are kept', async (t) => {
  const dir = scratch(t);
  const log = serviceLog(dir, 'svc', { size: '1K', files: 3 });
  t.after(closeServiceLogs);
  const line = `${'x'.repeat(99)}\n`;
  for (let i = 0; i < 100; i++) {
    log.write(line);
    // Rotation happens between writes; waiting for each lets it run at every kilobyte.
    await logWritten(log);
  }
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['svc.log', 'svc.log.1', 'svc.log.2']);
  for (const f of files) assert.ok(statSync(join(dir, f)).size <= 1024 + line.length, f);
  assert.equal(serviceLog(dir, 'svc'), log, 'a restart appends to the same stream');
});

test('a service child writes through the supervisor, and its last lines are in the file at stop', async (t) => {
  const dir = scratch(t);
  t.after(closeServiceLogs);
  const spec = { name: 'echo', script: 'test/infra/fixtures/echo-service.ts' } as const;
  const first = spawnService(ROOT, dir, spec, { ...process.env, ECHO_LINE: 'first run' });
  await whenReady(first, 10_000);
  await stopService(first, 5_000);
  const second = spawnService(ROOT, dir, spec, { ...process.env, ECHO_LINE: 'second run' });
  await whenReady(second, 10_000);
  await stopService(second, 5_000);
  const text = readFileSync(first.logFile, 'utf8');
  assert.match(text, /first run: started\n.*first run: stopping\n.*second run: started/s);
  assert.match(text, /second run: stopping\n/, 'the line written while stopping was kept');
  assert.match(text, /second run: on stderr/, 'stderr goes to the same file');
});
