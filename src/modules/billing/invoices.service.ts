import type { JobActor, TenantContext } from '../../core/context.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { InvoiceStatus } from '../../models/enums.js';
import type { AuditEntry } from '../../db/audit.repository.js';
import { billingInvoicesRepository as inv, type InvoiceLineRow, type InvoiceRow } from './billing-invoices.repository.js';
import { billingRepository as repo, billingRunsRepository as runs } from './billing.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId } from '../../kernel/helpers.js';
import type { JobName, JobPayload } from '../../kernel/job-payloads.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { allocate, allocationPool } from './allocation.js';
import { assertAccountVisible, audit, auditMany, loadSettings, today, visibleAccountIds, type BillingActor, type BillingDeps } from './common.js';
import { addMonths, firstDay, lastDay, maxDate, monthsBetween, periodOf } from './dates.js';
import { money, sum } from '../../core/money.js';
import { monthCharges } from './tuition.js';

type Enqueue = <N extends JobName>(ctx: TenantContext, type: N, input: JobPayload<N>, check?: (tx: Tx) => Promise<void>) => Promise<{ jobId: string }>;

export interface RunCounts {
  created: number;
  rebuilt: number;
  skipped: number;
  invoiceIds: string[];
}

type DraftLine = Omit<InvoiceLineRow, 'id' | 'tenantId' | 'invoiceId' | 'position'>;
const lineDto = (l: Pick<InvoiceLineRow, 'kind' | 'studentId' | 'description' | 'amount' | 'serviceFrom' | 'serviceTo'>) => ({
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
 * Runs, invoices, issuing (gap-free numbers), voiding and deleting drafts. What is paid is derived from the ledger
 * on every read (allocation.ts), never stored.
 */
export function createBillingInvoices({ db, clock, notify }: BillingDeps, enqueue: Enqueue) {
  /** The invoices as the API shows them: lines, derived amountPaid/amountDue/status/overdue. */
  async function views(tx: Tx, tenantId: string, rows: InvoiceRow[]) {
    const lines = await inv.lines(tx, tenantId, rows.map((r) => r.id));
    const accounts = [...new Set(rows.filter((r) => r.state === 'issued').map((r) => r.accountId))];
    const issued = await inv.issuedOf(tx, tenantId, accounts);
    const sums = await inv.sumsByType(tx, tenantId, accounts);
    const paid = new Map<string, number>();
    for (const a of accounts) {
      const mine = issued.filter((i) => i.accountId === a);
      const pool = allocationPool(sums.filter((s) => s.accountId === a), mine.map((i) => i.total));
      for (const [id, p] of allocate(mine.map((i) => ({ id: i.id, total: i.total, dueDate: i.dueDate!, number: i.number! })), pool)) paid.set(id, p);
    }
    const { currency } = await loadSettings(tx, tenantId);
    const day = await today(tx, tenantId, clock);
    return rows.map((r) => {
      let status: InvoiceStatus;
      let amountPaid = 0;
      let amountDue = 0;
      if (r.state === 'draft') {
        status = 'draft';
        amountDue = r.total;
      } else if (r.state === 'void') status = 'void';
      else if (r.total <= 0) status = 'paid';
      else {
        amountPaid = paid.get(r.id) ?? 0;
        amountDue = r.total - amountPaid;
        status = amountDue > 0 ? 'open' : 'paid';
      }
      return {
        id: r.id,
        number: r.number,
        accountId: r.accountId,
        period: r.period,
        status,
        lines: lines.filter((l) => l.invoiceId === r.id).map(lineDto),
        total: money(r.total),
        amountPaid: money(amountPaid),
        amountDue: money(amountDue),
        overdue: amountDue > 0 && r.state === 'issued' && !!r.dueDate && day > r.dueDate,
        issueDate: r.issueDate,
        dueDate: r.dueDate,
        voidReason: r.voidReason,
        currency,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        version: r.version,
      };
    });
  }
  const view = async (tx: Tx, tenantId: string, r: InvoiceRow) => (await views(tx, tenantId, [r]))[0]!;

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
    const { students: memberRows } = await repo.members(tx, tenantId, accountIds);
    const members = group(memberRows, (m) => m.accountId, (m) => m.studentId);
    const studentIds = [...new Set(memberRows.map((m) => m.studentId))];
    const children = new Map((await repo.existingStudents(tx, tenantId, studentIds)).map((s) => [s.id, { studentId: s.id, dateOfBirth: s.dateOfBirth }]));
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

  return {
    /** POST /billing/runs: a job; a period more than 2 months ahead → 422, a run of the period under way → 409. */
    async startRun(ctx: TenantContext, period: string) {
      const current = await db.scoped(forTenant(ctx), (tx) => today(tx, ctx.tenantId, clock));
      if (monthsBetween(periodOf(current), period) > 2) throw unprocessable('The period is more than 2 months ahead', [{ path: 'period', message: 'at most 2 months ahead' }]);
      return enqueue(ctx, 'billing.run', { tenantId: ctx.tenantId, period, createdByMembershipId: ctx.membershipId }, async (tx) => {
        await runs.lockPeriod(tx, ctx.tenantId, period);
        if (await runs.runInProgress(tx, ctx.tenantId, period)) throw conflict('A run of this period is under way', [{ path: 'period', message: 'already running' }]);
      });
    },

    /**
     * One bounded batch of a run: up to `size` accounts after `after`, in one transaction under the (centre, period)
     * advisory lock. A crash leaves whole batches; a re-run rebuilds drafts in place, so it finishes the work.
     */
    async runBatch(actor: JobActor, period: string, after: string | undefined, size: number) {
      const a: BillingActor = { tenantId: actor.tenantId, membershipId: actor.membershipId, requestId: actor.jobId };
      return db.scoped(forTenant(actor), async (tx) => {
        await runs.lockPeriod(tx, actor.tenantId, period);
        const ids = await repo.accountIdsAfter(tx, actor.tenantId, after, size);
        const counts: RunCounts = { created: 0, rebuilt: 0, skipped: 0, invoiceIds: [] };
        await draftBatch(tx, a, ids, period, counts);
        return { counts, last: ids.at(-1), done: ids.length < size };
      });
    },

    async list(ctx: TenantContext, q: { accountId?: string; period?: string; status?: InvoiceStatus; limit: number; cursor?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        let accountIds = await visibleAccountIds(tx, ctx);
        if (q.accountId) accountIds = (accountIds ?? [q.accountId.toLowerCase()]).filter((a) => a === q.accountId!.toLowerCase());
        const states = q.status === 'open' || q.status === 'paid' ? (['issued'] as const) : q.status ? ([q.status] as const) : undefined;
        const rows = await inv.listInvoices(tx, ctx.tenantId, { accountIds, period: q.period, states: states ? [...states] : undefined, hideDrafts: accountIds !== null && !ctx.permissions.includes('billing:manage'), cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        let items = await views(tx, ctx.tenantId, page.items);
        if (q.status) items = items.filter((i) => i.status === q.status);
        return { items, nextCursor: page.nextCursor };
      });
    },

    async get(ctx: TenantContext, id: string) {
      const iid = requireId(id, 'Invoice');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await inv.getInvoice(tx, ctx.tenantId, iid);
        if (!row) throw notFound('Invoice');
        if (!ctx.permissions.includes('billing:manage')) {
          if (row.state === 'draft') throw notFound('Invoice');
          await assertAccountVisible(tx, ctx, row.accountId).catch(() => {
            throw notFound('Invoice');
          });
        }
        return view(tx, ctx.tenantId, row);
      });
    },

    /** draft → issued: the next number of the centre's counter (taken here, so never skipped), posted to the ledger. */
    async issue(ctx: TenantContext, id: string, ifMatch?: number) {
      const iid = requireId(id, 'Invoice');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const day = await today(tx, ctx.tenantId, clock);
        const settings = await loadSettings(tx, ctx.tenantId);
        const { after } = await changeVersioned(tx, ctx, {
          what: 'Invoice',
          target: { type: 'billing_invoice', id: iid },
          ifMatch,
          lock: () => inv.getInvoice(tx, ctx.tenantId, iid, true),
          write: async (b) => {
            if (b.state !== 'draft') throw conflict(`The invoice is ${b.state === 'issued' ? 'already issued' : 'void'}, not a draft`);
            const number = await repo.takeInvoiceNumber(tx, ctx.tenantId);
            const due = maxDate(`${b.period}-${String(settings.dueDay).padStart(2, '0')}`, day);
            return inv.updateInvoice(tx, ctx.tenantId, iid, { state: 'issued', number, issueDate: day, dueDate: due }, b.version, now);
          },
          audit: (b, a) => ({ action: 'billing.invoice.issued', before: { state: b.state, number: b.number }, after: { state: a.state, number: a.number, issueDate: a.issueDate, dueDate: a.dueDate, total: a.total } }),
        });
        const a = after!;
        await inv.post(tx, { id: newId(), tenantId: ctx.tenantId, accountId: a.accountId, type: 'invoice', amount: a.total, effectiveDate: day, invoiceId: a.id, memo: `Invoice ${a.number} (${a.period})`, createdByMembershipId: ctx.membershipId });
        const { payers } = await repo.members(tx, ctx.tenantId, [a.accountId]);
        await notify(tx, ctx.tenantId, {
          type: 'invoice.issued',
          subject: { type: 'invoice', id: a.id },
          recipients: { guardianIds: payers.map((p) => p.guardianId) },
          data: { invoiceId: a.id, number: a.number, amount: a.total, currency: settings.currency, period: a.period, dueDate: a.dueDate },
        });
        return view(tx, ctx.tenantId, a);
      });
    },

    /** issued → void with a `void` ledger entry of −total; the number stays used. */
    async void(ctx: TenantContext, id: string, reason: string, ifMatch?: number) {
      const iid = requireId(id, 'Invoice');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const day = await today(tx, ctx.tenantId, clock);
        const { after } = await changeVersioned(tx, ctx, {
          what: 'Invoice',
          target: { type: 'billing_invoice', id: iid },
          ifMatch,
          lock: () => inv.getInvoice(tx, ctx.tenantId, iid, true),
          write: (b) => {
            if (b.state !== 'issued') throw conflict(b.state === 'draft' ? 'A draft is deleted, not voided' : 'The invoice is already void');
            return inv.updateInvoice(tx, ctx.tenantId, iid, { state: 'void', voidReason: reason, voidedAt: now }, b.version, now);
          },
          audit: (b, a) => ({ action: 'billing.invoice.voided', before: { state: b.state, number: b.number, total: b.total }, after: { state: a.state, voidReason: reason } }),
        });
        const a = after!;
        await inv.post(tx, { id: newId(), tenantId: ctx.tenantId, accountId: a.accountId, type: 'void', amount: money(-a.total), effectiveDate: day, invoiceId: a.id, memo: reason, createdByMembershipId: ctx.membershipId });
        return view(tx, ctx.tenantId, a);
      });
    },

    async deleteDraft(ctx: TenantContext, id: string, ifMatch?: number) {
      const iid = requireId(id, 'Invoice');
      await db.scoped(forTenant(ctx), async (tx) => {
        const b = await inv.getInvoice(tx, ctx.tenantId, iid, true);
        if (!b) throw notFound('Invoice');
        if (ifMatch !== undefined && ifMatch !== b.version) throw preconditionFailed();
        if (b.state !== 'draft') throw conflict('Only a draft can be deleted (void an issued invoice)');
        const before = await view(tx, ctx.tenantId, b);
        await inv.deleteDraft(tx, ctx.tenantId, iid);
        await audit(tx, ctx, { action: 'billing.invoice.deleted', targetType: 'billing_invoice', targetId: iid, before });
      });
    },
  };
}
