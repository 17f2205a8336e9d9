import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  checkPrice,
  fromCents,
  PRICE_CEILING,
  PriceLimits,
  priceProblem,
  toCents,
} from '../../src/domain/price.ts';

test('prices round to cents half away from zero, as numeric(10,2) rounds the decimal sent', () => {
  const cases: [number, bigint][] = [
    [0, 0n],
    [56.99, 5699n],
    [0.6782996, 68n], // a float32 as Go's JSON writes it: the original's REST testers
    [Math.fround(0.6782996), 68n], // the same float32 from Kafka
    [Math.fround(56.99), 5699n],
    [0.125, 13n], // exactly half
    [0.285, 29n], // Math.round(0.285 * 100) gives 28
    [1.005, 101n], // Math.round(1.005 * 100) gives 100
    [8492984.865, 849298487n],
    [0.004, 0n],
    [0.005, 1n],
    [1e-7, 0n], // printed in exponent form
    [99999999.99, 9999999999n],
    [99999999.994, 9999999999n],
    [-0.125, -13n], // no path takes it, but rounding itself is symmetric
  ];
  for (const [price, cents] of cases) assert.equal(toCents(price), cents, String(price));
});

test('any decimal with three places rounds as its text does', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99_999_999_999 }), (mills) => {
      const text = `${Math.trunc(mills / 1000)}.${String(mills % 1000).padStart(3, '0')}`;
      const want = BigInt(Math.trunc(mills / 10)) + (mills % 10 >= 5 ? 1n : 0n);
      assert.equal(toCents(Number(text)), want, text);
    }),
    { numRuns: 20_000 },
  );
});

test('cents go to a price and back unchanged', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: PriceLimits.maxCents }), (cents) => {
      assert.equal(toCents(fromCents(cents)), cents);
    }),
    { numRuns: 20_000 },
  );
});

test('the rule refuses negative (before rounding), non-finite and too large prices', () => {
  assert.deepEqual(checkPrice(0), { ok: true, cents: 0n });
  assert.deepEqual(checkPrice(-0), { ok: true, cents: 0n });
  assert.deepEqual(checkPrice(99999999.994), { ok: true, cents: 9999999999n });
  for (const price of [-0.004, -0.01, -1, Number.NEGATIVE_INFINITY]) {
    assert.match(priceProblem(price) ?? '', /negative|finite/, String(price));
  }
  assert.match(priceProblem(Math.fround(-0.004)) ?? '', /negative/);
  assert.match(priceProblem(Number.NaN) ?? '', /finite/);
  assert.match(priceProblem(Number.POSITIVE_INFINITY) ?? '', /finite/);
  for (const price of [99999999.995, 1e8, 1e308, Math.fround(3.4e38)]) {
    assert.match(priceProblem(price) ?? '', /at most 99999999.99/, String(price));
  }
});

test('the REST schema bound (exclusiveMaximum) says exactly what the rule says', () => {
  const near = fc.double({ min: 99999999.9, max: 100000000.1, noNaN: true });
  const any = fc.double({ min: 0, max: 1e9, noNaN: true });
  fc.assert(
    fc.property(fc.oneof(near, any), (price) => {
      assert.equal(price < PRICE_CEILING, checkPrice(price).ok, String(price));
    }),
    { numRuns: 20_000 },
  );
});
