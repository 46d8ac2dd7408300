import { daysInMonth, dayOf, firstDay, lastDay, maxDate, minDate } from './dates.js';
import { money, percentOf, roundHalfUp, sum, type Money } from '../../core/money.js';

/**
 * Tuition and the sibling discount (CONTRACT "Billing"), as pure functions of their inputs so they can be property
 * tested: the service reads the rows and hands them in.
 */

/** The piece of month `period` (n days) from day a to day b at price P: R(P·b/n) − R(P·(a−1)/n). */
export function monthPiece(price: number, a: number, b: number, n: number): Money {
  if (!(1 <= a && a <= b && b <= n)) throw new RangeError(`bad day range ${a}..${b} of ${n}`);
  const P = BigInt(money(price));
  return money(roundHalfUp(P * BigInt(b), n) - roundHalfUp(P * BigInt(a - 1), n));
}

export interface SubscriptionSpan {
  id: string;
  studentId: string;
  planId: string;
  planName: string;
  price: number;
  startDate: string;
  endDate: string | null;
}
export interface TuitionPiece {
  subscriptionId: string;
  studentId: string;
  planId: string;
  planName: string;
  amount: Money;
  serviceFrom: string;
  serviceTo: string;
}

/** The pieces of `period` each subscription covers (none for a subscription outside the month). */
export function tuitionPieces(period: string, subs: readonly SubscriptionSpan[]): TuitionPiece[] {
  const n = daysInMonth(period);
  const out: TuitionPiece[] = [];
  for (const s of subs) {
    const from = maxDate(s.startDate, firstDay(period));
    const to = minDate(s.endDate ?? '9999-12-31', lastDay(period));
    if (from > to) continue;
    out.push({
      subscriptionId: s.id,
      studentId: s.studentId,
      planId: s.planId,
      planName: s.planName,
      amount: monthPiece(s.price, dayOf(from), dayOf(to), n),
      serviceFrom: from,
      serviceTo: to,
    });
  }
  return out;
}

/** The percent for rank k: that of the highest rank named that is ≤ k (0 below the lowest). */
export function pctForRank(discounts: Readonly<Record<string, number>>, k: number): number {
  let best = 0;
  let pct = 0;
  for (const [r, p] of Object.entries(discounts)) {
    const rank = Number(r);
    if (rank <= k && rank > best) {
      best = rank;
      pct = p;
    }
  }
  return pct;
}

export interface ChildTuition {
  studentId: string;
  dateOfBirth: string;
  tuition: number;
}

/**
 * The sibling discount of each child of an account in one month: children with tuition T > 0, ranked by T descending,
 * then the younger first (later date of birth), then by id (strings, ascending); rank k gets −R(T·pct(k)/100).
 * Only non-zero discounts are answered.
 */
export function siblingDiscounts(children: readonly ChildTuition[], discounts: Readonly<Record<string, number>>): { studentId: string; rank: number; pct: number; amount: Money }[] {
  const ranked = children
    .filter((c) => c.tuition > 0)
    .sort((x, y) => y.tuition - x.tuition || (x.dateOfBirth < y.dateOfBirth ? 1 : x.dateOfBirth > y.dateOfBirth ? -1 : 0) || (x.studentId < y.studentId ? -1 : x.studentId > y.studentId ? 1 : 0));
  const out: { studentId: string; rank: number; pct: number; amount: Money }[] = [];
  ranked.forEach((c, i) => {
    const pct = pctForRank(discounts, i + 1);
    const amount = money(-percentOf(c.tuition, pct));
    if (amount !== 0) out.push({ studentId: c.studentId, rank: i + 1, pct, amount });
  });
  return out;
}

/** Per child: tuition T (sum of pieces) and sibling discount of the month, for the adjustment rule. */
export function monthCharges(period: string, subs: readonly SubscriptionSpan[], children: readonly { studentId: string; dateOfBirth: string }[], discounts: Readonly<Record<string, number>>) {
  const pieces = tuitionPieces(period, subs);
  const tuition = new Map<string, Money>();
  for (const c of children) tuition.set(c.studentId, sum(pieces.filter((p) => p.studentId === c.studentId).map((p) => p.amount)));
  const disc = siblingDiscounts(
    children.map((c) => ({ ...c, tuition: tuition.get(c.studentId) ?? 0 })),
    discounts,
  );
  return { pieces, tuition, discounts: disc };
}
