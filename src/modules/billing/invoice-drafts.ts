import { newId } from '../../core/ids.js';
import type { AuditEntry } from '../../db/audit.repository.js';
import { billingInvoicesRepository as inv, type InvoiceLineRow, type InvoiceRow } from './billing-invoices.repository.js';
import { billingRepository as repo } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import type { Tx } from '../../db/db.js';
import { auditMany, loadSettings, type BillingActor, type BillingDeps } from './common.js';
import { addMonths, firstDay, lastDay, periodOf } from './dates.js';
import { money, sum } from '../../core/money.js';
import { monthCharges } from './tuition.js';

export interface RunCounts {
  created: number;
  rebuilt: number;
  skipped: number;
  invoiceIds: string[];
}

type DraftLine = Omit<InvoiceLineRow, 'id' | 'tenantId' | 'invoiceId' | 'position'>;
export const lineDto = (l: Pick<InvoiceLineRow, 'kind' | 'studentId' | 'description' | 'amount' | 'serviceFrom' | 'serviceTo'>) => ({
  kind: l.kind,
  studentId: l.studentId,
  description: l.description,
  amount: l.amount,
  serviceFrom: l.serviceFrom,
  serviceTo: l.serviceTo,
});
const sameLines = (a: DraftLine[], b: InvoiceLineRow[]) =>
  a.length === b.length &&
  a.every((l, i) => {
    const o = b[i]!;
    return l.kind === o.kind && l.studentId === o.studentId && l.description === o.description && l.amount === o.amount && l.serviceFrom === o.serviceFrom && l.serviceTo === o.serviceTo && l.chargeId === o.chargeId;
  });

/** Values grouped by key, each group in the rows' order. */
function group<R, V>(rows: readonly R[], key: (r: R) => string, value: (r: R) => V) {
  const m = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(value(r));
    else m.set(k, [value(r)]);
  }
  return m;
}

/**
 * The monthly run's drafting: each account's invoice for a period computed from its children's subscriptions, sibling
 * discounts, approved charges and adjustments of the 12 months before, and written in a few multi-row statements.
 */
export function createInvoiceDrafts({ clock }: Pick<BillingDeps, 'clock'>) {
  /**
   * The lines an account's invoice for `period` has now (tuition, sibling discounts, charges, adjustments), from the
   * batch's inputs (`batchInputs`: every input read once for the whole batch).
   */
  function draftLines(inputs: BatchInputs, accountId: string, period: string): DraftLine[] {
    const { settings } = inputs;
    const members = inputs.members.get(accountId) ?? [];
    const children = members.flatMap((id) => inputs.children.get(id) ?? []);
    const ids = new Set(children.map((c) => c.studentId));
    const subs = inputs.subs.filter((s) => ids.has(s.studentId));
    const lines: DraftLine[] = [];
    const base = { planId: null, subscriptionId: null, chargeId: null };

    const now = monthCharges(period, subs, children, settings.siblingDiscounts);
    for (const p of now.pieces)
      lines.push({ ...base, kind: 'tuition', studentId: p.studentId, description: `${p.planName} (${period})`, amount: p.amount, serviceFrom: p.serviceFrom, serviceTo: p.serviceTo, planId: p.planId, subscriptionId: p.subscriptionId });
    for (const d of now.discounts)
      lines.push({ ...base, kind: 'sibling_discount', studentId: d.studentId, description: `Sibling discount ${d.pct}% (child ${d.rank}, ${period})`, amount: d.amount, serviceFrom: firstDay(period), serviceTo: lastDay(period) });

    for (const c of inputs.charges.get(accountId) ?? [])
      lines.push({ ...base, kind: 'charge', studentId: c.studentId, description: c.description, amount: c.amount, serviceFrom: c.serviceDate, serviceTo: c.serviceDate, chargeId: c.id });

    // Adjustments: each of the 12 months before the period that an issued invoice billed, recomputed now, less what
    // issued invoices already billed for the child and month (tuition, sibling discount and earlier adjustments).
    const billed = children.flatMap((c) => inputs.billed.get(c.studentId) ?? []);
    const months = new Set([...(inputs.issuedPeriods.get(accountId) ?? []), ...billed.map((b) => periodOf(b.serviceFrom!))]);
    for (const m of [...months].sort()) {
      const then = monthCharges(m, subs, children, settings.siblingDiscounts);
      for (const c of [...children].sort((x, y) => (x.studentId < y.studentId ? -1 : 1))) {
        const nowAmount = (then.tuition.get(c.studentId) ?? 0) + sum(then.discounts.filter((d) => d.studentId === c.studentId).map((d) => d.amount));
        const already = sum(billed.filter((b) => b.studentId === c.studentId && periodOf(b.serviceFrom!) === m).map((b) => b.amount));
        const diff = nowAmount - already;
        if (diff !== 0) lines.push({ ...base, kind: 'adjustment', studentId: c.studentId, description: `Adjustment for ${m}`, amount: money(diff), serviceFrom: firstDay(m), serviceTo: lastDay(m) });
      }
    }
    return lines;
  }

  /** Every input of a batch's drafts, each read in one statement for all the batch's accounts. */
  async function batchInputs(tx: Tx, tenantId: string, accountIds: string[], period: string) {
    const settings = await loadSettings(tx, tenantId);
    const { students: memberRows } = await accounts.members(tx, tenantId, accountIds);
    const members = group(memberRows, (m) => m.accountId, (m) => m.studentId);
    const studentIds = [...new Set(memberRows.map((m) => m.studentId))];
    const children = new Map((await accounts.existingStudents(tx, tenantId, studentIds)).map((s) => [s.id, { studentId: s.id, dateOfBirth: s.dateOfBirth }]));
    const ids = [...children.keys()];
    const subs = await repo.subscriptionsOf(tx, tenantId, ids);
    const charges = group(await repo.billableChargesOf(tx, tenantId, accountIds, lastDay(period), period), (c) => c.accountId, (c) => c);
    const from = addMonths(period, -12);
    const to = addMonths(period, -1);
    const billed = group(await inv.billedLines(tx, tenantId, ids, firstDay(from), lastDay(to)), (b) => b.studentId!, (b) => b);
    const issuedPeriods = group(await inv.issuedPeriodsOf(tx, tenantId, accountIds, from, to), (r) => r.accountId, (r) => r.period);
    return { settings, members, children, subs, charges, billed, issuedPeriods };
  }
  type BatchInputs = Awaited<ReturnType<typeof batchInputs>>;

  /**
   * The batch's drafts: each account's created, rebuilt in place (same id), or left alone (issued, nothing to bill) —
   * inputs read once for the batch, the new invoices, their lines, the rebuilt ones and the audit rows written in a few
   * multi-row statements, in the accounts' order.
   */
  async function draftBatch(tx: Tx, actor: BillingActor, accountIds: string[], period: string, counts: RunCounts) {
    if (!accountIds.length) return;
    const live = new Map((await inv.liveInvoices(tx, actor.tenantId, accountIds, period)).map((r) => [r.accountId, r]));
    const todo = accountIds.filter((a) => {
      const existing = live.get(a);
      if (existing && existing.state !== 'draft') {
        counts.skipped++;
        return false;
      }
      return true;
    });
    if (!todo.length) return;
    const inputs = await batchInputs(tx, actor.tenantId, todo, period);
    const drafts = todo.map((a) => live.get(a)).filter((r): r is InvoiceRow => !!r);
    const oldLines = group(await inv.lines(tx, actor.tenantId, drafts.map((d) => d.id)), (l) => l.invoiceId, (l) => l);
    const now = clock.now();
    const removed: string[] = [];
    const inserts: Parameters<typeof inv.insertInvoices>[1] = [];
    const lineSets: { invoiceId: string; lines: DraftLine[] }[] = [];
    const totals: { id: string; total: number; version: number }[] = [];
    const audits: Omit<AuditEntry, 'tenantId'>[] = [];
    for (const accountId of todo) {
      const existing = live.get(accountId);
      const lines = draftLines(inputs, accountId, period);
      if (!lines.length) {
        if (existing) {
          removed.push(existing.id);
          audits.push({ action: 'billing.invoice.draft_removed', targetType: 'billing_invoice', targetId: existing.id, before: { period, total: existing.total } });
        }
        counts.skipped++;
        continue;
      }
      const total = sum(lines.map((l) => l.amount));
      if (existing) {
        counts.rebuilt++;
        counts.invoiceIds.push(existing.id);
        const old = oldLines.get(existing.id) ?? [];
        if (existing.total === total && sameLines(lines, old)) continue;
        lineSets.push({ invoiceId: existing.id, lines });
        totals.push({ id: existing.id, total, version: existing.version });
        audits.push({ action: 'billing.invoice.rebuilt', targetType: 'billing_invoice', targetId: existing.id, before: { total: existing.total, lines: old.map(lineDto) }, after: { total, lines: lines.map(lineDto) } });
        continue;
      }
      const id = newId();
      inserts.push({ id, tenantId: actor.tenantId, accountId, period, state: 'draft', total, createdAt: now, updatedAt: now });
      lineSets.push({ invoiceId: id, lines });
      counts.created++;
      counts.invoiceIds.push(id);
      audits.push({ action: 'billing.invoice.drafted', targetType: 'billing_invoice', targetId: id, after: { accountId, period, total, lines: lines.map(lineDto) } });
    }
    await inv.deleteDrafts(tx, actor.tenantId, removed);
    await inv.insertInvoices(tx, inserts);
    await inv.replaceLinesOf(tx, actor.tenantId, lineSets);
    await inv.updateTotals(tx, actor.tenantId, totals, now);
    await auditMany(tx, actor, audits);
  }

  return { draftBatch };
}
