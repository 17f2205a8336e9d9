// Option values the CLI parses itself: prices by the one price rule, and points in time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { albumOptions, parseSince } from '../../../src/apps/cli/options.ts';

const at = Date.parse('2025-03-01T12:00:00Z');

test('--price: any decimal number in range, as the REST API takes it; refused otherwise', () => {
  const parse = (value: string) => albumOptions.price().parseArg?.(value, undefined);
  assert.equal(parse('12.99'), 12.99);
  assert.equal(parse('0.6782996'), 0.6782996, 'a float32 price of the original testers');
  assert.equal(parse('0'), 0);
  assert.equal(parse('99999999.99'), 99999999.99);
  for (const bad of ['-1', '1e3', 'abc', '', '100000000', '99999999.995', '.5']) {
    assert.throws(() => parse(bad), /must be a price from 0 to 99999999\.99/, bad);
  }
});

test('--since: an ISO 8601 time, or a span before now', () => {
  const now = Date.parse('2025-03-02T00:00:00Z');
  assert.equal(parseSince('2025-03-01T12:00:00Z', now), at);
  assert.equal(parseSince('2025-03-01', now), Date.parse('2025-03-01T00:00:00Z'));
  assert.equal(parseSince('2h', now), now - 7_200_000);
  assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
  for (const bad of ['yesterday', '2h ago', '-5m', '2025-13-45', '']) {
    assert.throws(() => parseSince(bad, now), /ISO 8601/, bad);
  }
});
