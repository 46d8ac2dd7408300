import { and, asc, eq, gt, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm';
import { billingInvoiceLines, billingInvoices, billingLedgerEntries, billingPayments, billingRefunds, guardians } from '../../models/index.js';
import type { PaymentStatus } from '../../models/enums.js';
import { queryRows, type Tx } from '../../db/db.js';

export type InvoiceRow = typeof billingInvoices.$inferSelect;
export type InvoiceLineRow = typeof billingInvoiceLines.$inferSelect;
export type LedgerRow = typeof billingLedgerEntries.$inferSelect;
export type PaymentRow = typeof billingPayments.$inferSelect;
export type RefundRow = typeof billingRefunds.$inferSelect;

/** Invoices and their lines, the append-only ledger, payments and refunds. */
export const billingInvoicesRepository = {
  async getInvoice(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingInvoices).where(and(eq(billingInvoices.tenantId, tenantId), eq(billingInvoices.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  /** The account's invoice for the period that is not void (at most one: the unique partial index). */
  async liveInvoice(tx: Tx, tenantId: string, accountId: string, period: string) {
    const [row] = await tx
      .select()
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), eq(billingInvoices.accountId, accountId), eq(billingInvoices.period, period), ne(billingInvoices.state, 'void')))
      .for('update');
    return row;
  },
  /** `liveInvoice` for many accounts in one statement (a run's batch), locked. */
  async liveInvoices(tx: Tx, tenantId: string, accountIds: string[], period: string) {
    if (!accountIds.length) return [];
    return tx
      .select()
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), inArray(billingInvoices.accountId, accountIds), eq(billingInvoices.period, period), ne(billingInvoices.state, 'void')))
      .orderBy(asc(billingInvoices.id))
      .for('update');
  },
  /** Many new invoices in one statement (a run's new drafts). */
  async insertInvoices(tx: Tx, values: (typeof billingInvoices.$inferInsert)[]) {
    if (values.length) await tx.insert(billingInvoices).values(values);
  },
  /** Many drafts' totals (a run's rebuilt drafts) in one statement, each only at its expected version. */
  async updateTotals(tx: Tx, tenantId: string, rows: { id: string; total: number; version: number }[], now: Date) {
    if (!rows.length) return;
    await queryRows(
      tx,
      `update billing_invoices i set total = v.total, updated_at = $5, version = i.version + 1
       from unnest($2::uuid[], $3::bigint[], $4::int[]) as v(id, total, version)
       where i.tenant_id = $1 and i.id = v.id and i.version = v.version`,
      [tenantId, rows.map((r) => r.id), rows.map((r) => r.total), rows.map((r) => r.version), now],
    );
  },
  async deleteDrafts(tx: Tx, tenantId: string, ids: string[]) {
    if (ids.length) await tx.delete(billingInvoices).where(and(eq(billingInvoices.tenantId, tenantId), inArray(billingInvoices.id, ids), eq(billingInvoices.state, 'draft')));
  },
  /** `replaceLines` for many invoices: one delete, then the lines in multi-row inserts. */
  async replaceLinesOf(tx: Tx, tenantId: string, sets: { invoiceId: string; lines: Omit<typeof billingInvoiceLines.$inferInsert, 'tenantId' | 'invoiceId' | 'position'>[] }[]) {
    const old = sets.map((s) => s.invoiceId);
    if (old.length) await tx.delete(billingInvoiceLines).where(and(eq(billingInvoiceLines.tenantId, tenantId), inArray(billingInvoiceLines.invoiceId, old)));
    const rows = sets.flatMap((s) => s.lines.map((l, position) => ({ ...l, tenantId, invoiceId: s.invoiceId, position })));
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(billingInvoiceLines).values(rows.slice(i, i + 1000));
  },
  async insertInvoice(tx: Tx, values: typeof billingInvoices.$inferInsert) {
    const [row] = await tx.insert(billingInvoices).values(values).returning();
    return row!;
  },
  async updateInvoice(tx: Tx, tenantId: string, id: string, patch: Partial<typeof billingInvoices.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingInvoices)
      .set({ ...patch, updatedAt: now, version: sql`${billingInvoices.version} + 1` })
      .where(and(eq(billingInvoices.tenantId, tenantId), eq(billingInvoices.id, id), eq(billingInvoices.version, expectedVersion)))
      .returning();
    return row;
  },
  async deleteDraft(tx: Tx, tenantId: string, id: string) {
    await tx.delete(billingInvoices).where(and(eq(billingInvoices.tenantId, tenantId), eq(billingInvoices.id, id), eq(billingInvoices.state, 'draft')));
  },
  async lines(tx: Tx, tenantId: string, invoiceIds: string[]) {
    if (!invoiceIds.length) return [];
    return tx
      .select()
      .from(billingInvoiceLines)
      .where(and(eq(billingInvoiceLines.tenantId, tenantId), inArray(billingInvoiceLines.invoiceId, invoiceIds)))
      .orderBy(asc(billingInvoiceLines.invoiceId), asc(billingInvoiceLines.position));
  },
  async replaceLines(tx: Tx, tenantId: string, invoiceId: string, lines: Omit<typeof billingInvoiceLines.$inferInsert, 'tenantId' | 'invoiceId' | 'position'>[]) {
    await tx.delete(billingInvoiceLines).where(and(eq(billingInvoiceLines.tenantId, tenantId), eq(billingInvoiceLines.invoiceId, invoiceId)));
    if (lines.length) await tx.insert(billingInvoiceLines).values(lines.map((l, position) => ({ ...l, tenantId, invoiceId, position })));
  },
  async listInvoices(
    tx: Tx,
    tenantId: string,
    f: { accountIds: string[] | null; period?: string; states?: ('draft' | 'issued' | 'void')[]; hideDrafts: boolean; cursor?: string; limit: number },
  ) {
    if (f.accountIds && !f.accountIds.length) return [];
    return tx
      .select()
      .from(billingInvoices)
      .where(
        and(
          eq(billingInvoices.tenantId, tenantId),
          f.accountIds ? inArray(billingInvoices.accountId, f.accountIds) : undefined,
          f.period ? eq(billingInvoices.period, f.period) : undefined,
          f.states ? inArray(billingInvoices.state, f.states) : undefined,
          f.hideDrafts ? ne(billingInvoices.state, 'draft') : undefined,
          f.cursor ? gt(billingInvoices.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(billingInvoices.id))
      .limit(f.limit + 1);
  },
  /** The issued invoices of the accounts (what allocation works on). */
  async issuedOf(tx: Tx, tenantId: string, accountIds: string[]) {
    if (!accountIds.length) return [];
    return tx
      .select({ id: billingInvoices.id, accountId: billingInvoices.accountId, total: billingInvoices.total, dueDate: billingInvoices.dueDate, number: billingInvoices.number })
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), inArray(billingInvoices.accountId, accountIds), eq(billingInvoices.state, 'issued')));
  },
  /** The numbers of these invoices (null for a draft): a printed statement names the invoice of each entry. */
  async invoiceNumbers(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return new Map<string, number | null>();
    const rows = await tx
      .select({ id: billingInvoices.id, number: billingInvoices.number })
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), inArray(billingInvoices.id, [...new Set(ids)])));
    return new Map(rows.map((r) => [r.id, r.number]));
  },
  /** Periods in [from, to] for which the account has an issued invoice. */
  async issuedPeriods(tx: Tx, tenantId: string, accountId: string, from: string, to: string) {
    const rows = await tx
      .selectDistinct({ period: billingInvoices.period })
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), eq(billingInvoices.accountId, accountId), eq(billingInvoices.state, 'issued'), gte(billingInvoices.period, from), lte(billingInvoices.period, to)));
    return rows.map((r) => r.period);
  },
  /** `issuedPeriods` for many accounts in one statement: (account, period) pairs. */
  async issuedPeriodsOf(tx: Tx, tenantId: string, accountIds: string[], from: string, to: string) {
    if (!accountIds.length) return [];
    return tx
      .selectDistinct({ accountId: billingInvoices.accountId, period: billingInvoices.period })
      .from(billingInvoices)
      .where(and(eq(billingInvoices.tenantId, tenantId), inArray(billingInvoices.accountId, accountIds), eq(billingInvoices.state, 'issued'), gte(billingInvoices.period, from), lte(billingInvoices.period, to)));
  },
  /** Tuition, sibling-discount and adjustment lines of issued invoices for the children, served from `from` to `to`. */
  async billedLines(tx: Tx, tenantId: string, studentIds: string[], from: string, to: string) {
    if (!studentIds.length) return [];
    return tx
      .select({ studentId: billingInvoiceLines.studentId, amount: billingInvoiceLines.amount, serviceFrom: billingInvoiceLines.serviceFrom })
      .from(billingInvoiceLines)
      .innerJoin(billingInvoices, and(eq(billingInvoices.tenantId, billingInvoiceLines.tenantId), eq(billingInvoices.id, billingInvoiceLines.invoiceId)))
      .where(
        and(
          eq(billingInvoiceLines.tenantId, tenantId),
          inArray(billingInvoiceLines.studentId, studentIds),
          inArray(billingInvoiceLines.kind, ['tuition', 'sibling_discount', 'adjustment']),
          gte(billingInvoiceLines.serviceFrom, from),
          lte(billingInvoiceLines.serviceFrom, to),
          eq(billingInvoices.state, 'issued'),
        ),
      );
  },

  // Ledger (append-only: there is no update or delete here, and the database refuses them)
  async post(tx: Tx, values: Omit<typeof billingLedgerEntries.$inferInsert, 'seq'>) {
    const [row] = await tx.insert(billingLedgerEntries).values(values).returning();
    return row!;
  },
  async entries(tx: Tx, tenantId: string, accountId: string, f: { afterSeq?: number; limit: number }) {
    return tx
      .select()
      .from(billingLedgerEntries)
      .where(and(eq(billingLedgerEntries.tenantId, tenantId), eq(billingLedgerEntries.accountId, accountId), f.afterSeq ? gt(billingLedgerEntries.seq, f.afterSeq) : undefined))
      .orderBy(asc(billingLedgerEntries.seq))
      .limit(f.limit + 1);
  },
  /** Per account and entry type: the sum of the entries (what allocation's pool is made of). */
  async sumsByType(tx: Tx, tenantId: string, accountIds: string[]) {
    if (!accountIds.length) return [];
    const rows = await tx
      .select({ accountId: billingLedgerEntries.accountId, type: billingLedgerEntries.type, amount: sql<string>`sum(${billingLedgerEntries.amount})::bigint` })
      .from(billingLedgerEntries)
      .where(and(eq(billingLedgerEntries.tenantId, tenantId), inArray(billingLedgerEntries.accountId, accountIds)))
      .groupBy(billingLedgerEntries.accountId, billingLedgerEntries.type);
    return rows.map((r) => ({ accountId: r.accountId, type: r.type, amount: Number(r.amount) }));
  },
  async sumBefore(tx: Tx, tenantId: string, accountId: string, before: string) {
    const [row] = await tx
      .select({ s: sql<string>`coalesce(sum(${billingLedgerEntries.amount}), 0)::bigint` })
      .from(billingLedgerEntries)
      .where(and(eq(billingLedgerEntries.tenantId, tenantId), eq(billingLedgerEntries.accountId, accountId), lt(billingLedgerEntries.effectiveDate, before)));
    return Number(row!.s);
  },
  async entriesBetween(tx: Tx, tenantId: string, accountId: string, from: string, to: string) {
    return tx
      .select()
      .from(billingLedgerEntries)
      .where(and(eq(billingLedgerEntries.tenantId, tenantId), eq(billingLedgerEntries.accountId, accountId), gte(billingLedgerEntries.effectiveDate, from), lte(billingLedgerEntries.effectiveDate, to)))
      .orderBy(asc(billingLedgerEntries.effectiveDate), asc(billingLedgerEntries.seq));
  },

  // Payments and refunds
  async insertPayment(tx: Tx, values: typeof billingPayments.$inferInsert) {
    const [row] = await tx.insert(billingPayments).values(values).returning();
    return row!;
  },
  async getPayment(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingPayments).where(and(eq(billingPayments.tenantId, tenantId), eq(billingPayments.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  async listPayments(tx: Tx, tenantId: string, f: { accountIds: string[] | null; status?: PaymentStatus; cursor?: string; limit: number }) {
    if (f.accountIds && !f.accountIds.length) return [];
    return tx
      .select()
      .from(billingPayments)
      .where(
        and(
          eq(billingPayments.tenantId, tenantId),
          f.accountIds ? inArray(billingPayments.accountId, f.accountIds) : undefined,
          f.status ? eq(billingPayments.status, f.status) : undefined,
          f.cursor ? gt(billingPayments.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(billingPayments.id))
      .limit(f.limit + 1);
  },
  /** Succeeded refunds per payment. */
  async refunded(tx: Tx, tenantId: string, paymentIds: string[]) {
    if (!paymentIds.length) return new Map<string, number>();
    const rows = await tx
      .select({ paymentId: billingRefunds.paymentId, s: sql<string>`sum(${billingRefunds.amount})::bigint` })
      .from(billingRefunds)
      .where(and(eq(billingRefunds.tenantId, tenantId), inArray(billingRefunds.paymentId, paymentIds), inArray(billingRefunds.status, ['succeeded', 'pending'])))
      .groupBy(billingRefunds.paymentId);
    return new Map(rows.map((r) => [r.paymentId, Number(r.s)]));
  },
  async insertRefund(tx: Tx, values: typeof billingRefunds.$inferInsert) {
    const [row] = await tx.insert(billingRefunds).values(values).returning();
    return row!;
  },
  /** The account's payments with a payer name, and their refunds (the tax statement). */
  async paymentsForTax(tx: Tx, tenantId: string, accountId: string) {
    const pays = await tx
      .select({
        id: billingPayments.id,
        amount: billingPayments.amount,
        method: billingPayments.method,
        status: billingPayments.status,
        receivedOn: billingPayments.receivedOn,
        succeededAt: billingPayments.succeededAt,
        payerGuardianId: billingPayments.payerGuardianId,
        firstName: guardians.firstName,
        lastName: guardians.lastName,
      })
      .from(billingPayments)
      .leftJoin(guardians, and(eq(guardians.tenantId, billingPayments.tenantId), eq(guardians.id, billingPayments.payerGuardianId)))
      .where(and(eq(billingPayments.tenantId, tenantId), eq(billingPayments.accountId, accountId), inArray(billingPayments.status, ['succeeded', 'reversed'])));
    const ids = pays.map((p) => p.id);
    const refunds = ids.length
      ? await tx
          .select({ paymentId: billingRefunds.paymentId, amount: billingRefunds.amount, succeededAt: billingRefunds.succeededAt })
          .from(billingRefunds)
          .where(and(eq(billingRefunds.tenantId, tenantId), inArray(billingRefunds.paymentId, ids), eq(billingRefunds.status, 'succeeded')))
      : [];
    const reversals = ids.length
      ? await tx
          .select({ paymentId: billingLedgerEntries.paymentId, amount: billingLedgerEntries.amount, effectiveDate: billingLedgerEntries.effectiveDate })
          .from(billingLedgerEntries)
          .where(and(eq(billingLedgerEntries.tenantId, tenantId), eq(billingLedgerEntries.accountId, accountId), eq(billingLedgerEntries.type, 'payment_reversal')))
      : [];
    return { pays, refunds, reversals };
  },
};
