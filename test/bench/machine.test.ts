// The CPU the bench books to the load generator: that of its children once they ended.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { endedChildrenCpuMs } from '../../bench/machine.ts';

test('a child that ended is booked with the CPU it spent', () => {
  const before = endedChildrenCpuMs();
  // 300 ms of the child's own CPU, however long a busy machine takes to give it that; waited
  // for, as the bench waits for wrk and h2load.
  execFileSync(process.execPath, [
    '-e',
    'const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (used() < 300);',
  ]);
  const spent = endedChildrenCpuMs() - before;
  assert.ok(spent >= 250, `booked ${spent} ms for a child that spent 300 ms`);
});
