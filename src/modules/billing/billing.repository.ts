import { and, asc, eq, gt, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import {
  billingCharges,
  billingInvoiceLines,
  billingInvoices,
  billingPlans,
  billingSettings,
  billingSubscriptions,
  students,
  tenants,
  jobs,
} from '../../models/index.js';
import type { ChargeStatus } from '../../models/enums.js';
import type { Tx } from '../../db/db.js';

export type BillingSettingsRow = typeof billingSettings.$inferSelect;
export type PlanRow = typeof billingPlans.$inferSelect;
export type SubscriptionRow = typeof billingSubscriptions.$inferSelect;
export type ChargeRow = typeof billingCharges.$inferSelect;

export const bump = (t: { version: unknown }) => sql`${t.version} + 1`;

/** Billing settings, plans, subscriptions and charges (accounts: billing-accounts.repository.ts). Every query names the tenant, under RLS as well. */
export const billingRepository = {
  async settings(tx: Tx, tenantId: string): Promise<BillingSettingsRow | undefined> {
    const [row] = await tx.select().from(billingSettings).where(eq(billingSettings.tenantId, tenantId));
    return row;
  },
  /** The settings row, created with the defaults when missing, and locked for the rest of the transaction. */
  async lockSettings(tx: Tx, tenantId: string): Promise<BillingSettingsRow> {
    await tx.insert(billingSettings).values({ tenantId }).onConflictDoNothing();
    const [row] = await tx.select().from(billingSettings).where(eq(billingSettings.tenantId, tenantId)).for('update');
    return row!;
  },
  async updateSettings(tx: Tx, tenantId: string, patch: Partial<typeof billingSettings.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingSettings)
      .set({ ...patch, updatedAt: now, version: bump(billingSettings) })
      .where(and(eq(billingSettings.tenantId, tenantId), eq(billingSettings.version, expectedVersion)))
      .returning();
    return row;
  },
  /** The next invoice number of the centre: the counter row, updated (so locked) in the issuing transaction. */
  async takeInvoiceNumber(tx: Tx, tenantId: string): Promise<number> {
    const [row] = await tx
      .insert(billingSettings)
      .values({ tenantId, lastInvoiceNumber: 1 })
      .onConflictDoUpdate({ target: billingSettings.tenantId, set: { lastInvoiceNumber: sql`${billingSettings.lastInvoiceNumber} + 1` } })
      .returning({ n: billingSettings.lastInvoiceNumber });
    return row!.n;
  },
  async centre(tx: Tx, tenantId: string) {
    const [row] = await tx.select({ name: tenants.name, timezone: tenants.timezone }).from(tenants).where(eq(tenants.id, tenantId));
    return row;
  },

  // Plans
  async insertPlan(tx: Tx, values: typeof billingPlans.$inferInsert) {
    const [row] = await tx.insert(billingPlans).values(values).returning();
    return row!;
  },
  async getPlan(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingPlans).where(and(eq(billingPlans.tenantId, tenantId), eq(billingPlans.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  async updatePlan(tx: Tx, tenantId: string, id: string, patch: Partial<typeof billingPlans.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingPlans)
      .set({ ...patch, updatedAt: now, version: bump(billingPlans) })
      .where(and(eq(billingPlans.tenantId, tenantId), eq(billingPlans.id, id), eq(billingPlans.version, expectedVersion)))
      .returning();
    return row;
  },
  async listPlans(tx: Tx, tenantId: string, f: { includeArchived: boolean; cursor?: string; limit: number }) {
    return tx
      .select()
      .from(billingPlans)
      .where(and(eq(billingPlans.tenantId, tenantId), f.includeArchived ? undefined : isNull(billingPlans.archivedAt), f.cursor ? gt(billingPlans.id, f.cursor) : undefined))
      .orderBy(asc(billingPlans.id))
      .limit(f.limit + 1);
  },
  /** Whether the plan is on a line of an invoice that is not a draft (issued, or issued and since voided). */
  async planInvoiced(tx: Tx, tenantId: string, planId: string) {
    const [row] = await tx
      .select({ id: billingInvoiceLines.id })
      .from(billingInvoiceLines)
      .innerJoin(billingInvoices, and(eq(billingInvoices.tenantId, billingInvoiceLines.tenantId), eq(billingInvoices.id, billingInvoiceLines.invoiceId)))
      .where(and(eq(billingInvoiceLines.tenantId, tenantId), eq(billingInvoiceLines.planId, planId), ne(billingInvoices.state, 'draft')))
      .limit(1);
    return !!row;
  },

  // Subscriptions
  async insertSubscription(tx: Tx, values: typeof billingSubscriptions.$inferInsert) {
    const [row] = await tx.insert(billingSubscriptions).values(values).returning();
    return row!;
  },
  async getSubscription(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingSubscriptions).where(and(eq(billingSubscriptions.tenantId, tenantId), eq(billingSubscriptions.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  async updateSubscription(tx: Tx, tenantId: string, id: string, patch: Partial<typeof billingSubscriptions.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingSubscriptions)
      .set({ ...patch, updatedAt: now, version: bump(billingSubscriptions) })
      .where(and(eq(billingSubscriptions.tenantId, tenantId), eq(billingSubscriptions.id, id), eq(billingSubscriptions.version, expectedVersion)))
      .returning();
    return row;
  },
  async deleteSubscription(tx: Tx, tenantId: string, id: string) {
    await tx.delete(billingSubscriptions).where(and(eq(billingSubscriptions.tenantId, tenantId), eq(billingSubscriptions.id, id)));
  },
  /** Locks the child's row: subscription changes of one child run one at a time, so the overlap check holds. */
  async lockStudent(tx: Tx, tenantId: string, studentId: string) {
    const [row] = await tx
      .select({ id: students.id, dateOfBirth: students.dateOfBirth })
      .from(students)
      .where(and(eq(students.tenantId, tenantId), eq(students.id, studentId)))
      .for('update');
    return row;
  },
  async subscriptionsOf(tx: Tx, tenantId: string, studentIds: string[]) {
    if (!studentIds.length) return [];
    return tx
      .select({
        id: billingSubscriptions.id,
        studentId: billingSubscriptions.studentId,
        planId: billingSubscriptions.planId,
        planName: billingPlans.name,
        price: billingPlans.amount,
        startDate: billingSubscriptions.startDate,
        endDate: billingSubscriptions.endDate,
      })
      .from(billingSubscriptions)
      .innerJoin(billingPlans, and(eq(billingPlans.tenantId, billingSubscriptions.tenantId), eq(billingPlans.id, billingSubscriptions.planId)))
      .where(and(eq(billingSubscriptions.tenantId, tenantId), inArray(billingSubscriptions.studentId, studentIds)))
      .orderBy(asc(billingSubscriptions.startDate), asc(billingSubscriptions.id));
  },
  async listSubscriptions(tx: Tx, tenantId: string, f: { studentIds: string[] | null; cursor?: string; limit: number }) {
    if (f.studentIds && !f.studentIds.length) return [];
    return tx
      .select()
      .from(billingSubscriptions)
      .where(and(eq(billingSubscriptions.tenantId, tenantId), f.studentIds ? inArray(billingSubscriptions.studentId, f.studentIds) : undefined, f.cursor ? gt(billingSubscriptions.id, f.cursor) : undefined))
      .orderBy(asc(billingSubscriptions.id))
      .limit(f.limit + 1);
  },
  async subscriptionInvoiced(tx: Tx, tenantId: string, subscriptionId: string) {
    const [row] = await tx
      .select({ id: billingInvoiceLines.id })
      .from(billingInvoiceLines)
      .innerJoin(billingInvoices, and(eq(billingInvoices.tenantId, billingInvoiceLines.tenantId), eq(billingInvoices.id, billingInvoiceLines.invoiceId)))
      .where(and(eq(billingInvoiceLines.tenantId, tenantId), eq(billingInvoiceLines.subscriptionId, subscriptionId), ne(billingInvoices.state, 'draft')))
      .limit(1);
    return !!row;
  },

  // Charges
  async insertCharge(tx: Tx, values: typeof billingCharges.$inferInsert) {
    const [row] = await tx.insert(billingCharges).values(values).returning();
    return row!;
  },
  /** A late-pickup fee: the first of the child's day stays (undefined when one exists). */
  async insertLatePickup(tx: Tx, values: typeof billingCharges.$inferInsert) {
    const [row] = await tx
      .insert(billingCharges)
      .values(values)
      .onConflictDoNothing({ target: [billingCharges.tenantId, billingCharges.studentId, billingCharges.serviceDate], where: sql`kind = 'late_pickup'` })
      .returning();
    return row;
  },
  async getCharge(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingCharges).where(and(eq(billingCharges.tenantId, tenantId), eq(billingCharges.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  async updateCharge(tx: Tx, tenantId: string, id: string, patch: Partial<typeof billingCharges.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingCharges)
      .set({ ...patch, updatedAt: now, version: bump(billingCharges) })
      .where(and(eq(billingCharges.tenantId, tenantId), eq(billingCharges.id, id), eq(billingCharges.version, expectedVersion)))
      .returning();
    return row;
  },
  async listCharges(tx: Tx, tenantId: string, f: { accountId?: string; status?: ChargeStatus; cursor?: string; limit: number }) {
    return tx
      .select()
      .from(billingCharges)
      .where(
        and(
          eq(billingCharges.tenantId, tenantId),
          f.accountId ? eq(billingCharges.accountId, f.accountId) : undefined,
          f.status ? eq(billingCharges.status, f.status) : undefined,
          f.cursor ? gt(billingCharges.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(billingCharges.id))
      .limit(f.limit + 1);
  },
  /**
   * Approved charges of the account with serviceDate ≤ `through` that are on no invoice but a void one or `draftId`.
   */
  async billableCharges(tx: Tx, tenantId: string, accountId: string, through: string, draftId: string | null) {
    const onOther = sql`exists (select 1 from ${billingInvoiceLines} l join ${billingInvoices} i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
      where l.tenant_id = ${billingCharges.tenantId} and l.charge_id = ${billingCharges.id} and i.state <> 'void' ${draftId ? sql`and i.id <> ${draftId}` : sql``})`;
    return tx
      .select()
      .from(billingCharges)
      .where(and(eq(billingCharges.tenantId, tenantId), eq(billingCharges.accountId, accountId), eq(billingCharges.status, 'approved'), lte(billingCharges.serviceDate, through), sql`not ${onOther}`))
      .orderBy(asc(billingCharges.serviceDate), asc(billingCharges.id));
  },
  /**
   * `billableCharges` for many accounts in one statement (a run's batch): a charge on another live invoice is not
   * billable, except on its own account's draft of `period` (the one the run rebuilds). Ordered by account, then as above.
   */
  async billableChargesOf(tx: Tx, tenantId: string, accountIds: string[], through: string, period: string) {
    if (!accountIds.length) return [];
    const onOther = sql`exists (select 1 from ${billingInvoiceLines} l join ${billingInvoices} i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
      where l.tenant_id = ${billingCharges.tenantId} and l.charge_id = ${billingCharges.id} and i.state <> 'void'
        and not (i.state = 'draft' and i.account_id = ${billingCharges.accountId} and i.period = ${period}))`;
    return tx
      .select()
      .from(billingCharges)
      .where(and(eq(billingCharges.tenantId, tenantId), inArray(billingCharges.accountId, accountIds), eq(billingCharges.status, 'approved'), lte(billingCharges.serviceDate, through), sql`not ${onOther}`))
      .orderBy(asc(billingCharges.accountId), asc(billingCharges.serviceDate), asc(billingCharges.id));
  },
};
export type BillingRepository = typeof billingRepository;

/** Runs: the (centre, period) lock and whether a run of the period is queued or running. */
export const billingRunsRepository = {
  /** Serialises work on one (centre, period) until the transaction ends. */
  async lockPeriod(tx: Tx, tenantId: string, period: string) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`billing-run:${tenantId}:${period}`}, 0))`);
  },
  async runInProgress(tx: Tx, tenantId: string, period: string) {
    const [row] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.type, 'billing.run'), inArray(jobs.status, ['queued', 'running']), sql`${jobs.payload}->>'period' = ${period}`))
      .limit(1);
    return row?.id;
  },
};
