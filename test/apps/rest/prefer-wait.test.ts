// RFC 7240's Prefer header as writes read it: the wait preference, capped; anything else ignored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WAIT_S, preferredWait } from '../../../src/apps/rest/prefer-wait.ts';

test('wait=N among other preferences, capped at MAX_WAIT_S; malformed or 0 is no wait', () => {
  const cases: [string | undefined, number | undefined][] = [
    ['wait=5', 5],
    ['respond-async, wait=3', 3],
    ['WAIT = "7"', 7],
    ['wait=4; foo=bar', 4],
    ['wait=600', MAX_WAIT_S],
    ['wait=0', undefined],
    ['wait=-1', undefined],
    ['wait=1.5', undefined],
    ['wait', undefined],
    ['return=minimal', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [header, want] of cases) assert.equal(preferredWait(header), want, String(header));
});
