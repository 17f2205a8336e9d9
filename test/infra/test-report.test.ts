// The order in which `npm test` starts its integration files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestFirst } from '../../infra/test-report.ts';

const FILES = [
  'test/apps/rest/album-reads.int.test.ts',
  'test/faults/broker-outage.int.test.ts',
  'test/faults/soak.int.test.ts',
  'test/ui/ui.e2e.test.ts',
];

test('with no times yet, the soak first, then the fault and browser tests', () => {
  assert.deepEqual(longestFirst(FILES, {}), [
    'test/faults/soak.int.test.ts',
    'test/faults/broker-outage.int.test.ts',
    'test/ui/ui.e2e.test.ts',
    'test/apps/rest/album-reads.int.test.ts',
  ]);
});

test("by the last run's times, longest first; a file never timed before them", () => {
  const times = {
    'test/apps/rest/album-reads.int.test.ts': 40,
    'test/faults/broker-outage.int.test.ts': 12,
    'test/faults/soak.int.test.ts': 130,
  };
  assert.deepEqual(longestFirst(FILES, times), [
    'test/ui/ui.e2e.test.ts',
    'test/faults/soak.int.test.ts',
    'test/apps/rest/album-reads.int.test.ts',
    'test/faults/broker-outage.int.test.ts',
  ]);
});
