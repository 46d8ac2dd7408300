/**
 * Money rules on integers only (CONTRACT "Billing"): an amount is a whole number of minor units, a percentage a whole
 * number 0–100, and rounding is half up on integers — R(a/b) = floor((2a + b) / 2b) — computed with BigInt, so no
 * float ever touches an amount.
 */

/** An amount in minor units (cents). A brand, so a value that never went through `money()` stands out. */
export type Money = number & { readonly __money: 'minor units' };

/** Checks that `n` is a safe integer and brands it (a float or NaN throws: it must never reach a total). */
export function money(n: number): Money {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not an amount in minor units: ${n}`);
  return n as Money;
}

/** floor(a / b) on BigInt (b > 0): BigInt division truncates toward zero, floor goes down for negatives. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** R(a/b) = floor((2a + b) / 2b): a/b rounded half up, for integers a and b > 0. */
export function roundHalfUp(a: bigint | number, b: bigint | number): Money {
  const A = BigInt(a);
  const B = BigInt(b);
  if (B <= 0n) throw new RangeError('the divisor must be positive');
  return money(Number(floorDiv(2n * A + B, 2n * B)));
}

/** Sum of amounts, exact. */
export function sum(amounts: readonly number[]): Money {
  let s = 0n;
  for (const a of amounts) s += BigInt(money(a));
  return money(Number(s));
}

/** R(amount · pct / 100). */
export function percentOf(amount: number, pct: number): Money {
  return roundHalfUp(BigInt(money(amount)) * BigInt(pct), 100);
}
