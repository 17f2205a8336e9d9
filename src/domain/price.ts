// The one price rule of every intake path (REST, Kafka, CLI, UI). It imports nothing, so that the
// UI bundles it as it is (ui/src/lib/rules.ts) without the server's schema libraries.

/** The largest price PostgreSQL's numeric(10,2) holds, in currency units and in cents. */
export const PriceLimits = { max: 99999999.99, maxCents: 9999999999n } as const;

/**
 * Below this a price rounds to at most `PriceLimits.max`: the REST schema's exclusiveMaximum.
 * As doubles compare exactly and print as their shortest decimal, `price < PRICE_CEILING` holds
 * exactly when `priceCents(price)` is in range.
 */
export const PRICE_CEILING = 99999999.995;

/**
 * Cents of `price` rounded half away from zero, the way PostgreSQL's numeric(10,2) rounds the
 * decimal a client sends: the number's shortest decimal form (what JSON.stringify writes, and
 * so what a client's JSON text parses back to) is rounded, not the binary double, so that 0.285
 * and 1.005 round up as their text does (Math.round(1.005 * 100) gives 100). A float32 read as
 * a double is its exact value, so it rounds as the original's float32 → float64 → numeric did.
 * No range check: `checkPrice` holds the rule.
 */
export function toCents(price: number): bigint {
  // Fast path, the usual price: the double nearest to a whole number of cents prints as exactly
  // that decimal (two such decimals are 0.01 apart, far more than doubles are below 2^53 / 100).
  const scaled = Math.round(price * 100);
  if (scaled / 100 === price && Number.isSafeInteger(scaled)) return BigInt(scaled);
  const abs = Math.abs(price);
  const text = String(abs);
  let cents: bigint;
  if (text.includes('e')) {
    // Exponent form: below 1e-6 (rounds to 0) or at least 1e21 (a whole number).
    cents = abs < 1 ? 0n : BigInt(abs) * 100n;
  } else {
    const dot = text.indexOf('.');
    const whole = dot === -1 ? text : text.slice(0, dot);
    const fraction = dot === -1 ? '' : text.slice(dot + 1);
    cents = BigInt(whole) * 100n + BigInt(`${fraction}00`.slice(0, 2));
    // Half away from zero: a third decimal of 5 or more rounds up whatever follows it.
    if (fraction.length > 2 && fraction.charCodeAt(2) >= 0x35) cents += 1n;
  }
  return price < 0 ? -cents : cents;
}

/** A price an intake path takes, as the cents it stores, or why it is refused. */
export type PriceCheck =
  | { readonly ok: true; readonly cents: bigint }
  | { readonly ok: false; readonly problem: string };

/**
 * The rule: a price must be a finite number that is not negative (checked before rounding, so
 * -0.004 is refused rather than stored as 0.00) and at most `PriceLimits.max` once rounded.
 */
export function checkPrice(price: number): PriceCheck {
  if (!Number.isFinite(price)) return { ok: false, problem: 'must be a finite number' };
  if (price < 0) return { ok: false, problem: 'must not be negative' };
  const cents = toCents(price);
  if (cents > PriceLimits.maxCents) {
    return { ok: false, problem: `must be at most ${PriceLimits.max} once rounded to cents` };
  }
  return { ok: true, cents };
}

/** Why `checkPrice` refuses `price`, or null when it takes it. */
export function priceProblem(price: number): string | null {
  const check = checkPrice(price);
  return check.ok ? null : check.problem;
}

/** A price in currency units from cents, exact to two decimals (the double nearest to it). */
export function fromCents(cents: bigint): number {
  return Number(cents) / 100;
}
