import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { processRuns } from '../../infra/process-runs.ts';

test('processRuns: this process and init run, an ended child does not', () => {
  assert.equal(processRuns(process.pid), true);
  // pid 1 runs for every user: signalled as root, EPERM for anyone else.
  assert.equal(processRuns(1), true);
  const ended = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(ended !== undefined);
  assert.equal(processRuns(ended), false);
});
