import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, allocationPool } from '../../src/modules/billing/allocation.js';
import { daysInMonth } from '../../src/modules/billing/dates.js';
import { money, percentOf, roundHalfUp } from '../../src/core/money.js';
import { monthCharges, monthPiece, pctForRank, siblingDiscounts, tuitionPieces } from '../../src/modules/billing/tuition.js';

describe('billing money rules (CONTRACT "Billing")', () => {
  it('R rounds half up on integers, negatives included', () => {
    expect(roundHalfUp(5, 2)).toBe(3);
    expect(roundHalfUp(3, 2)).toBe(2);
    expect(roundHalfUp(-5, 2)).toBe(-2); // floor(-0.5 + 0.5 … ) half up = toward +∞
    expect(roundHalfUp(1920000, 31)).toBe(61935);
    expect(roundHalfUp(99999 * 15, 30)).toBe(50000);
    expect(() => money(1.5)).toThrow();
    expect(() => money(Number.NaN)).toThrow();
  });

  it('R agrees with exact rational half-up rounding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (a, b) => {
        const r = BigInt(roundHalfUp(a, b));
        // r is the integer with r − 1/2 ≤ a/b < r + 1/2, i.e. 2r·b − b ≤ 2a < 2r·b + b
        expect(2n * r * b - b <= 2n * a).toBe(true);
        expect(2n * a < 2n * r * b + b).toBe(true);
      }),
    );
  });

  it('the worked examples: 58065 (120000 from 17 March) and 49999 (99999 from 16 April)', () => {
    expect(monthPiece(120000, 17, 31, 31)).toBe(58065);
    expect(monthPiece(99999, 16, 30, 30)).toBe(49999);
    const [p] = tuitionPieces('2026-03', [{ id: 's', studentId: 'c', planId: 'p', planName: 'Full', price: 120000, startDate: '2026-03-17', endDate: null }]);
    expect(p).toMatchObject({ amount: 58065, serviceFrom: '2026-03-17', serviceTo: '2026-03-31' });
    const [q] = tuitionPieces('2026-04', [{ id: 's', studentId: 'c', planId: 'p', planName: 'Full', price: 99999, startDate: '2026-04-16', endDate: null }]);
    expect(q!.amount).toBe(49999);
  });

  it('a child who left on 15 March after March was billed 120000: −61935', () => {
    const now = monthCharges('2026-03', [{ id: 's', studentId: 'c', planId: 'p', planName: 'Full', price: 120000, startDate: '2026-01-01', endDate: '2026-03-15' }], [{ studentId: 'c', dateOfBirth: '2022-01-01' }], {});
    expect(now.tuition.get('c')! - 120000).toBe(-61935);
  });

  it('the sibling discount: 120000, 95000 born 2023, 95000 born 2022 with {"2": 10, "3": 15} → −9500 and −14250', () => {
    const d = siblingDiscounts(
      [
        { studentId: 'b', dateOfBirth: '2022-05-01', tuition: 95000 },
        { studentId: 'a', dateOfBirth: '2020-01-01', tuition: 120000 },
        { studentId: 'c', dateOfBirth: '2023-05-01', tuition: 95000 },
      ],
      { '2': 10, '3': 15 },
    );
    expect(d).toEqual([
      { studentId: 'c', rank: 2, pct: 10, amount: -9500 },
      { studentId: 'b', rank: 3, pct: 15, amount: -14250 },
    ]);
    expect(pctForRank({ '2': 10, '3': 15 }, 7)).toBe(15);
    expect(pctForRank({ '2': 10 }, 1)).toBe(0);
    // Ties on T and date of birth: ids as strings, ascending.
    const t = siblingDiscounts(
      [
        { studentId: 'z', dateOfBirth: '2022-01-01', tuition: 100 },
        { studentId: 'y', dateOfBirth: '2022-01-01', tuition: 100 },
      ],
      { '2': 50 },
    );
    expect(t).toEqual([{ studentId: 'z', rank: 2, pct: 50, amount: -50 }]);
  });

  it('the late-pickup example: (12 − 5) × 100 = 700', () => {
    expect(money((12 - 5) * 100)).toBe(700);
  });

  it('property: the pieces of any month at one price sum to exactly the price, for every month length and split', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 28, max: 31 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 10 }),
        (price, n, cuts) => {
          // Split 1..n at the cut points (a cut c ends a piece on day c).
          const ends = [...cuts.filter((c) => c < n), n].sort((x, y) => x - y);
          let start = 1;
          let total = 0;
          for (const end of ends) {
            const p = monthPiece(price, start, end, n);
            expect(Number.isSafeInteger(p)).toBe(true);
            expect(p).toBeGreaterThanOrEqual(0);
            total += p;
            start = end + 1;
          }
          expect(total).toBe(price);
        },
      ),
    );
  });

  it('property: subscriptions that tile a real month sum to the price', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 31 }), (y, m, price, cut) => {
        const period = `${y}-${String(m).padStart(2, '0')}`;
        const n = daysInMonth(period);
        const c = Math.min(cut, n);
        const d = (day: number) => `${period}-${String(day).padStart(2, '0')}`;
        const subs = [{ id: '1', studentId: 'c', planId: 'p', planName: 'P', price, startDate: '1999-01-01', endDate: d(c) }];
        if (c < n) subs.push({ id: '2', studentId: 'c', planId: 'p', planName: 'P', price, startDate: d(c + 1), endDate: null as unknown as string });
        const total = tuitionPieces(period, subs).reduce((s, p) => s + p.amount, 0);
        expect(total).toBe(price);
      }),
    );
  });

  it('property: allocation never pays more than was paid, nor more than an invoice total; balance = sum of entries', () => {
    const inv = fc.record({ total: fc.integer({ min: -50_000, max: 200_000 }), dueDate: fc.constantFrom('2026-01-01', '2026-02-01', '2026-03-01'), number: fc.integer({ min: 1, max: 1000 }) });
    const entry = fc.record({ type: fc.constantFrom('payment', 'credit', 'refund', 'payment_reversal'), amount: fc.integer({ min: -100_000, max: 100_000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(inv, { selector: (i) => i.number, maxLength: 12 }), fc.array(entry, { maxLength: 12 }), (invs, entries) => {
        const invoices = invs.map((i, k) => ({ ...i, id: `i${k}` }));
        const pool = allocationPool(entries, invoices.map((i) => i.total));
        const paid = allocate(invoices, pool);
        let allocated = 0;
        for (const i of invoices) {
          const p = paid.get(i.id) ?? 0;
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(Math.max(0, i.total));
          allocated += p;
        }
        expect(allocated).toBeLessThanOrEqual(pool);
        // Paid in turn: once an invoice is not fully paid, no later one gets anything.
        const queue = invoices.filter((i) => i.total > 0).sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number - b.number));
        let short = false;
        for (const i of queue) {
          if (short) expect(paid.get(i.id)).toBe(0);
          if ((paid.get(i.id) ?? 0) < i.total) short = true;
        }
        // The balance is the sum of the entries; when everything owed is covered, nothing is due.
        const ledger = [...invoices.map((i) => i.total), ...entries.map((e) => e.amount)];
        const balance = ledger.reduce((s, a) => s + a, 0);
        const due = queue.reduce((s, i) => s + i.total - (paid.get(i.id) ?? 0), 0);
        if (pool > 0 && due > 0) expect(allocated).toBe(pool);
        expect(Number.isSafeInteger(balance)).toBe(true);
      }),
    );
  });

  it('percentOf is R(amount·pct/100)', () => {
    expect(percentOf(95000, 15)).toBe(14250);
    expect(percentOf(1, 50)).toBe(1);
  });
});
