// The CPU the bench books to the load generator: that of its children once they ended.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { endedChildrenCpuMs } from '../../bench/machine.ts';

test('a child that ended is booked with the CPU it spent', () => {
  const before = endedChildrenCpuMs();
  // About 300 ms of CPU in a child, waited for as the bench waits for wrk and ghz.
  execFileSync(process.execPath, ['-e', 'const end = Date.now() + 300; while (Date.now() < end);']);
  const spent = endedChildrenCpuMs() - before;
  assert.ok(spent >= 150, `booked ${spent} ms for a child that spun 300 ms`);
});
