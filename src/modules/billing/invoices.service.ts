import type { JobActor, TenantContext } from '../../core/context.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { InvoiceStatus } from '../../models/enums.js';
import { billingInvoicesRepository as inv, type InvoiceRow } from './billing-invoices.repository.js';
import { billingRepository as repo, billingRunsRepository as runs } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId } from '../../kernel/helpers.js';
import type { JobName, JobPayload } from '../../kernel/job-payloads.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { allocate, allocationPool } from './allocation.js';
import { assertAccountVisible, audit, loadSettings, today, visibleAccountIds, type BillingActor, type BillingDeps } from './common.js';
import { maxDate, monthsBetween, periodOf } from './dates.js';
import { money } from '../../core/money.js';
import { createInvoiceDrafts, lineDto, type RunCounts } from './invoice-drafts.js';

type Enqueue = <N extends JobName>(ctx: TenantContext, type: N, input: JobPayload<N>, check?: (tx: Tx) => Promise<void>) => Promise<{ jobId: string }>;

/**
 * Runs (their drafting: invoice-drafts.ts), invoices, issuing (gap-free numbers), voiding and deleting drafts. What is paid is derived from the ledger
 * on every read (allocation.ts), never stored.
 */
export function createBillingInvoices({ db, clock, notify }: BillingDeps, enqueue: Enqueue) {
  const { draftBatch } = createInvoiceDrafts({ clock });

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
        const ids = await accounts.accountIdsAfter(tx, actor.tenantId, after, size);
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
        const { payers } = await accounts.members(tx, ctx.tenantId, [a.accountId]);
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
