import { money, type Money } from '../../core/money.js';

/**
 * What is paid, derived (CONTRACT "Billing"): the account's issued invoices with a total > 0, ordered by (dueDate,
 * number), are paid in turn from everything paid or credited — the pool: payments and credits, less refunds and
 * reversals, plus the magnitude of every negative issued invoice total. Never stored, so a refund or a void can
 * never leave a wrong "paid" flag: a refund shrinks the pool and re-opens the newest first.
 */
export interface AllocInvoice {
  id: string;
  total: number;
  dueDate: string;
  number: number;
}

export function allocationPool(entries: readonly { type: string; amount: number }[], negativeInvoiceTotals: readonly number[]): Money {
  let pool = 0;
  for (const e of entries) if (e.type === 'payment' || e.type === 'credit' || e.type === 'refund' || e.type === 'payment_reversal') pool -= e.amount;
  for (const t of negativeInvoiceTotals) if (t < 0) pool -= t;
  return money(Math.max(0, pool));
}

/** amountPaid per invoice id (invoices with total ≤ 0 are not in the queue: they are paid at once, amountDue 0). */
export function allocate(invoices: readonly AllocInvoice[], pool: number): Map<string, Money> {
  const queue = invoices.filter((i) => i.total > 0).sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number - b.number));
  const paid = new Map<string, Money>();
  let left = Math.max(0, pool);
  for (const inv of queue) {
    const p = Math.min(inv.total, left);
    paid.set(inv.id, money(p));
    left -= p;
  }
  return paid;
}
