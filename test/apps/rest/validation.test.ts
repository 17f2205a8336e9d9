import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isExactMultiple } from '../../../src/apps/rest/validation.ts';

test('multipleOf 0.01 takes every amount in cents, at any magnitude, and nothing finer', () => {
  for (const price of [0, 0.01, 0.29, 56.99, 8492984.86, 12345678.91, 99999999.99, 0.8]) {
    assert.ok(isExactMultiple(price, 0.01), String(price));
  }
  for (const price of [0.001, 1.234, 0.1 + 0.2, 56.9900000000001, 1e-7, Number.NaN, Infinity]) {
    assert.ok(!isExactMultiple(price, 0.01), String(price));
  }
  // Every amount in cents from a random sample over the whole range, and the top of it.
  const written = (cents: bigint) =>
    Number(`${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`);
  for (let i = 0; i < 200_000; i++) {
    const cents = BigInt(Math.floor(Math.random() * 9_999_999_999));
    assert.ok(isExactMultiple(written(cents), 0.01), String(cents));
  }
  for (let cents = 9_999_999_999n - 100_000n; cents <= 9_999_999_999n; cents++) {
    assert.ok(isExactMultiple(written(cents), 0.01), String(cents));
  }
});

test('other steps work the same way', () => {
  assert.ok(isExactMultiple(5, 1));
  assert.ok(!isExactMultiple(5.5, 1));
  assert.ok(isExactMultiple(0.5, 0.5) && isExactMultiple(1.5, 0.5) && !isExactMultiple(1.25, 0.5));
});
