import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { billingPayments, billingRefunds, paymentEvents } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

/** Online payments (CONTRACT "Payments online"): provider references, guarded moves, events, refunds. Every query names the tenant. */
export const paymentsRepository = {
  /** System scope: our online payment with this provider session id (any tenant), or undefined. */
  async findBySession(tx: Tx, provider: string, sessionId: string) {
    const [row] = await tx
      .select({ id: billingPayments.id, tenantId: billingPayments.tenantId })
      .from(billingPayments)
      .where(and(eq(billingPayments.provider, provider), eq(billingPayments.providerRef, sessionId)));
    return row;
  },
  async setProviderRef(tx: Tx, tenantId: string, id: string, provider: string, ref: string, extra: { providerIntent?: string | null }) {
    await tx
      .update(billingPayments)
      .set({ provider, providerRef: ref, ...(extra.providerIntent !== undefined ? { providerIntent: extra.providerIntent } : {}) })
      .where(and(eq(billingPayments.tenantId, tenantId), eq(billingPayments.id, id)));
  },
  /** System scope: our payment by the provider's payment intent (charge and dispute events). */
  async findByIntent(tx: Tx, provider: string, intent: string) {
    const [row] = await tx
      .select({ id: billingPayments.id, tenantId: billingPayments.tenantId })
      .from(billingPayments)
      .where(and(eq(billingPayments.provider, provider), eq(billingPayments.providerIntent, intent)));
    return row;
  },
  /** The guarded move: only from `from`; returns the row when it moved. */
  async move(tx: Tx, tenantId: string, id: string, from: string, patch: Partial<typeof billingPayments.$inferInsert>, now: Date) {
    const [row] = await tx
      .update(billingPayments)
      .set({ ...patch, updatedAt: now, version: sql`${billingPayments.version} + 1` })
      .where(and(eq(billingPayments.tenantId, tenantId), eq(billingPayments.id, id), eq(billingPayments.status, from as 'pending')))
      .returning();
    return row;
  },
  /** Records the provider's event id; false = already recorded (a redelivery). */
  async recordEvent(tx: Tx, tenantId: string, provider: string, eventId: string, type: string, paymentId: string) {
    const rows = await tx.insert(paymentEvents).values({ tenantId, provider, eventId, type, paymentId }).onConflictDoNothing().returning({ eventId: paymentEvents.eventId });
    return rows.length > 0;
  },
  async refundsOf(tx: Tx, tenantId: string, paymentId: string) {
    return tx.select().from(billingRefunds).where(and(eq(billingRefunds.tenantId, tenantId), eq(billingRefunds.paymentId, paymentId))).orderBy(asc(billingRefunds.createdAt));
  },
  async getRefund(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(billingRefunds).where(and(eq(billingRefunds.tenantId, tenantId), eq(billingRefunds.id, id)));
    return row;
  },
  async settleRefund(tx: Tx, tenantId: string, id: string, from: string[], patch: Partial<typeof billingRefunds.$inferInsert>, now: Date) {
    const [row] = await tx
      .update(billingRefunds)
      .set({ ...patch, updatedAt: now, version: sql`${billingRefunds.version} + 1` })
      .where(and(eq(billingRefunds.tenantId, tenantId), eq(billingRefunds.id, id), inArray(billingRefunds.status, from as ['pending'])))
      .returning();
    return row;
  },
};
