import type { TenantContext } from '../../core/context.js';
import { forTenant } from '../../db/db.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { localDate } from '../../core/time.js';
import type { PaymentStatus } from '../../models/enums.js';
import { billingInvoicesRepository as inv, type LedgerRow, type PaymentRow } from './billing-invoices.repository.js';
import { billingRepository as repo } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import type { Tx } from '../../db/db.js';
import { checkRange, requireId } from '../../kernel/helpers.js';
import { decodeNumberCursor, decodeUuidCursor, toPage } from '../../core/pagination.js';
import { assertAccountVisible, audit, loadSettings, today, visibleAccountIds, type BillingDeps } from './common.js';
import { money, sum } from '../../core/money.js';
import { renderStatementPdf, renderTaxStatementPdf } from './statement-pdf.js';

export const entryDto = (e: LedgerRow) => ({
  id: e.id,
  type: e.type,
  amount: money(e.amount),
  effectiveDate: e.effectiveDate,
  invoiceId: e.invoiceId,
  paymentId: e.paymentId,
  memo: e.memo,
  createdAt: e.createdAt.toISOString(),
});
export const paymentDto = (p: PaymentRow, refunded: number, currency: string) => ({
  id: p.id,
  accountId: p.accountId,
  amount: money(p.amount),
  refunded: money(refunded),
  currency,
  status: p.status,
  method: p.method,
  payerGuardianId: p.payerGuardianId,
  receivedOn: p.receivedOn,
  reference: p.reference,
  succeededAt: p.succeededAt ? p.succeededAt.toISOString() : null,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
  version: p.version,
});

/**
 * The ledger (append-only), credits, payments recorded by staff, their refunds, statements and the tax statement.
 * Every posting is one insert in the transaction of the change it records; the balance is always a sum.
 */
export function createBillingLedger({ db, clock, notify }: BillingDeps) {
  async function account(tx: Tx, ctx: TenantContext, id: string) {
    const aid = requireId(id, 'Account');
    await assertAccountVisible(tx, ctx, aid);
    const a = await accounts.getAccount(tx, ctx.tenantId, aid);
    if (!a) throw notFound('Account');
    return a;
  }
  async function paymentViews(tx: Tx, tenantId: string, rows: PaymentRow[]) {
    const refunded = await inv.refunded(tx, tenantId, rows.map((r) => r.id));
    const { currency } = await loadSettings(tx, tenantId);
    return rows.map((p) => paymentDto(p, refunded.get(p.id) ?? 0, currency));
  }

  /**
   * The year's payments less refunds and reversals, by payer: a recorded payment by `receivedOn`, anything else by
   * the local date it succeeded; only payers with a total ≠ 0.
   */
  async function taxStatementIn(tx: Tx, ctx: TenantContext, a: { id: string }, year: number) {
    const centre = await repo.centre(tx, ctx.tenantId);
    const tz = centre?.timezone ?? 'UTC';
    const settings = await loadSettings(tx, ctx.tenantId);
    const { pays, refunds, reversals } = await inv.paymentsForTax(tx, ctx.tenantId, a.id);
    const inYear = (d: string | null) => !!d && d.startsWith(`${year}-`);
    const byPayer = new Map<string, { guardianId: string | null; name: string | null; paid: number }>();
    const add = (p: (typeof pays)[number], amount: number) => {
      const key = p.payerGuardianId ?? '';
      const cur = byPayer.get(key) ?? { guardianId: p.payerGuardianId, name: p.payerGuardianId ? `${p.firstName ?? ''} ${p.lastName ?? ''}`.trim() : null, paid: 0 };
      cur.paid += amount;
      byPayer.set(key, cur);
    };
    for (const p of pays) {
      const d = p.method === 'online' ? (p.succeededAt ? localDate(p.succeededAt, tz) : null) : p.receivedOn;
      if (inYear(d)) add(p, p.amount);
    }
    for (const r of refunds) {
      const p = pays.find((x) => x.id === r.paymentId);
      if (p && r.succeededAt && inYear(localDate(r.succeededAt, tz))) add(p, -r.amount);
    }
    for (const r of reversals) {
      const p = pays.find((x) => x.id === r.paymentId);
      if (p && inYear(r.effectiveDate)) add(p, -r.amount);
    }
    const payers = [...byPayer.values()].filter((p) => p.paid !== 0).map((p) => ({ ...p, paid: money(p.paid) }));
    return { year, accountId: a.id, currency: settings.currency, centre: { name: centre?.name ?? '', taxId: settings.taxId }, payers, totalPaid: sum(payers.map((p) => p.paid)) };
  }

  async function statementIn(tx: Tx, ctx: TenantContext, accountId: string, from: string, to: string) {
    const a = await account(tx, ctx, accountId);
    const opening = await inv.sumBefore(tx, ctx.tenantId, a.id, from);
    const entries = await inv.entriesBetween(tx, ctx.tenantId, a.id, from, to);
    const { currency } = await loadSettings(tx, ctx.tenantId);
    const json = { accountId: a.id, from, to, currency, openingBalance: money(opening), entries: entries.map(entryDto), closingBalance: money(opening + sum(entries.map((e) => e.amount))) };
    return { json, account: a, entries };
  }

  /** What a printed statement adds to the JSON: the centre (name, tax id), the payers' names, today's local date. */
  async function printHeader(tx: Tx, ctx: TenantContext, accountId: string) {
    const centre = await repo.centre(tx, ctx.tenantId);
    const settings = await loadSettings(tx, ctx.tenantId);
    const { payers } = await accounts.members(tx, ctx.tenantId, [accountId]);
    const names = await accounts.existingGuardians(tx, ctx.tenantId, payers.map((p) => p.guardianId));
    return {
      centre: { name: centre?.name ?? '', taxId: settings.taxId },
      payers: names.map((g) => `${g.firstName} ${g.lastName}`.trim()).sort(),
      today: localDate(clock.now(), centre?.timezone ?? 'UTC'),
    };
  }

  return {
    async ledger(ctx: TenantContext, accountId: string, q: { limit: number; cursor?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const a = await account(tx, ctx, accountId);
        const rows = await inv.entries(tx, ctx.tenantId, a.id, { afterSeq: decodeNumberCursor(q.cursor), limit: q.limit });
        return toPage(rows, q.limit, entryDto, (r) => r.seq);
      });
    },

    async credit(ctx: TenantContext, accountId: string, input: { amount: number; reason: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const a = await account(tx, ctx, accountId);
        const e = await inv.post(tx, { id: newId(), tenantId: ctx.tenantId, accountId: a.id, type: 'credit', amount: money(-input.amount), effectiveDate: await today(tx, ctx.tenantId, clock), memo: input.reason, createdByMembershipId: ctx.membershipId });
        await audit(tx, ctx, { action: 'billing.credit.posted', targetType: 'billing_account', targetId: a.id, after: entryDto(e) });
        return entryDto(e);
      });
    },

    /** A payment recorded by staff: succeeded at once, a `payment` entry dated `receivedOn`, payers notified. */
    async recordPayment(ctx: TenantContext, accountId: string, input: { amount: number; method: 'cash' | 'check' | 'bank_transfer' | 'other'; receivedOn: string; payerGuardianId?: string | null; reference?: string | null }) {
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const a = await account(tx, ctx, accountId);
        const { payers } = await accounts.members(tx, ctx.tenantId, [a.id]);
        const payer = input.payerGuardianId ? input.payerGuardianId.toLowerCase() : null;
        if (payer && !payers.some((p) => p.guardianId === payer))
          throw unprocessable('The payer does not pay for this account', [{ path: 'payerGuardianId', message: 'not a payer of the account' }]);
        const p = await inv.insertPayment(tx, {
          id: newId(),
          tenantId: ctx.tenantId,
          accountId: a.id,
          amount: money(input.amount),
          method: input.method,
          status: 'succeeded',
          payerGuardianId: payer,
          receivedOn: input.receivedOn,
          reference: input.reference ?? null,
          succeededAt: now,
          recordedByMembershipId: ctx.membershipId,
          createdAt: now,
          updatedAt: now,
        });
        await inv.post(tx, { id: newId(), tenantId: ctx.tenantId, accountId: a.id, type: 'payment', amount: money(-p.amount), effectiveDate: input.receivedOn, paymentId: p.id, memo: `${input.method} payment`, createdByMembershipId: ctx.membershipId });
        const [dto] = await paymentViews(tx, ctx.tenantId, [p]);
        await audit(tx, ctx, { action: 'billing.payment.recorded', targetType: 'billing_payment', targetId: p.id, after: dto });
        await notify(tx, ctx.tenantId, {
          type: 'payment.succeeded',
          subject: { type: 'payment', id: p.id },
          recipients: { guardianIds: payers.map((x) => x.guardianId) },
          data: { paymentId: p.id, accountId: a.id, amount: p.amount, currency: dto!.currency },
        });
        return dto!;
      });
    },

    async listPayments(ctx: TenantContext, q: { accountId?: string; status?: PaymentStatus; limit: number; cursor?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        let accountIds = await visibleAccountIds(tx, ctx);
        if (q.accountId) accountIds = (accountIds ?? [q.accountId.toLowerCase()]).filter((x) => x === q.accountId!.toLowerCase());
        const rows = await inv.listPayments(tx, ctx.tenantId, { accountIds, status: q.status, cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        return { items: await paymentViews(tx, ctx.tenantId, page.items), nextCursor: page.nextCursor };
      });
    },

    async getPayment(ctx: TenantContext, id: string) {
      const pid = requireId(id, 'Payment');
      return db.scoped(forTenant(ctx), async (tx) => {
        const p = await inv.getPayment(tx, ctx.tenantId, pid);
        if (!p) throw notFound('Payment');
        await assertAccountVisible(tx, ctx, p.accountId).catch(() => {
          throw notFound('Payment');
        });
        return (await paymentViews(tx, ctx.tenantId, [p]))[0]!;
      });
    },

    /**
     * POST /billing/payments/{id}/refunds: a payment that has not succeeded → 409, more than is left → 422. A recorded
     * payment is refunded at once (a `refund` entry of +amount); an online one waits for the provider (next issue).
     */
    async refund(ctx: TenantContext, paymentId: string, input: { amount: number; reason: string }) {
      const pid = requireId(paymentId, 'Payment');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const p = await inv.getPayment(tx, ctx.tenantId, pid, true);
        if (!p) throw notFound('Payment');
        if (p.status !== 'succeeded') throw conflict(`The payment is ${p.status}: only a succeeded payment is refunded`);
        const refunded = (await inv.refunded(tx, ctx.tenantId, [p.id])).get(p.id) ?? 0;
        if (input.amount > p.amount - refunded)
          throw unprocessable('More than is left unrefunded', [{ path: 'amount', message: `at most ${p.amount - refunded}` }]);
        if (p.method === 'online') throw unprocessable('Online payments are refunded through the payment provider, which this deployment does not have yet');
        const r = await inv.insertRefund(tx, { id: newId(), tenantId: ctx.tenantId, paymentId: p.id, amount: money(input.amount), reason: input.reason, status: 'succeeded', succeededAt: now, createdAt: now, updatedAt: now });
        await inv.post(tx, { id: newId(), tenantId: ctx.tenantId, accountId: p.accountId, type: 'refund', amount: money(input.amount), effectiveDate: await today(tx, ctx.tenantId, clock), paymentId: p.id, refundId: r.id, memo: input.reason, createdByMembershipId: ctx.membershipId });
        const dto = { id: r.id, paymentId: p.id, amount: money(r.amount), reason: r.reason, status: r.status, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), version: r.version };
        await audit(tx, ctx, { action: 'billing.refund.succeeded', targetType: 'billing_payment', targetId: p.id, before: { refunded }, after: dto });
        return dto;
      });
    },

    /** Entries with `effectiveDate` in [from, to] (at most 366 days), with the balances around them. */
    async statement(ctx: TenantContext, accountId: string, from: string, to: string) {
      checkRange(from, to, 366);
      return db.scoped(forTenant(ctx), async (tx) => (await statementIn(tx, ctx, accountId, from, to)).json);
    },

    /** The same statement as a printable PDF (`Accept: application/pdf`), from the same data in the same transaction. */
    async statementPdf(ctx: TenantContext, accountId: string, from: string, to: string) {
      checkRange(from, to, 366);
      const input = await db.scoped(forTenant(ctx), async (tx) => {
        const { json, account: a, entries } = await statementIn(tx, ctx, accountId, from, to);
        const p = await printHeader(tx, ctx, a.id);
        const numbers = await inv.invoiceNumbers(tx, ctx.tenantId, entries.map((e) => e.invoiceId).filter((x): x is string => !!x));
        return {
          centre: p.centre,
          account: { name: a.name, payers: p.payers },
          currency: json.currency,
          from,
          to,
          generatedOn: p.today,
          openingBalance: json.openingBalance,
          closingBalance: json.closingBalance,
          entries: entries.map((e) => ({ effectiveDate: e.effectiveDate, type: e.type, memo: e.memo, invoiceNumber: e.invoiceId ? (numbers.get(e.invoiceId) ?? null) : null, amount: e.amount })),
        };
      });
      return { fileName: `statement-${from}-${to}.pdf`, bytes: await renderStatementPdf(input) };
    },

    /** The year's payments less refunds and reversals, by payer (see taxStatementIn). */
    async taxStatement(ctx: TenantContext, accountId: string, year: number) {
      return db.scoped(forTenant(ctx), async (tx) => taxStatementIn(tx, ctx, await account(tx, ctx, accountId), year));
    },

    /** The tax statement as a printable PDF (`Accept: application/pdf`). */
    async taxStatementPdf(ctx: TenantContext, accountId: string, year: number) {
      const input = await db.scoped(forTenant(ctx), async (tx) => {
        const a = await account(tx, ctx, accountId);
        const t = await taxStatementIn(tx, ctx, a, year);
        const p = await printHeader(tx, ctx, a.id);
        return { centre: t.centre, account: { name: a.name }, currency: t.currency, year, generatedOn: p.today, payers: t.payers, totalPaid: t.totalPaid };
      });
      return { fileName: `tax-statement-${year}.pdf`, bytes: await renderTaxStatementPdf(input) };
    },
  };

}
