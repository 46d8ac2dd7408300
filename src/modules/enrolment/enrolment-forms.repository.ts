import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { applicationForms } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type ApplicationFormRow = typeof applicationForms.$inferSelect;

export const applicationFormsRepository = {
  async insert(tx: Tx, values: { id: string; tenantId: string; name: string; tokenHash: string; createdByMembershipId: string | null }) {
    const [row] = await tx.insert(applicationForms).values(values).returning();
    return row!;
  },
  /** A form that was not deleted (its token works). */
  async getLive(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx
      .select()
      .from(applicationForms)
      .where(and(eq(applicationForms.tenantId, tenantId), eq(applicationForms.id, id), isNull(applicationForms.deletedAt)));
    return row;
  },
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx
      .select()
      .from(applicationForms)
      .where(and(eq(applicationForms.tenantId, tenantId), eq(applicationForms.id, id), isNull(applicationForms.deletedAt)))
      .for('update');
    return row;
  },
  async listLive(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number }) {
    return tx
      .select()
      .from(applicationForms)
      .where(and(eq(applicationForms.tenantId, tenantId), isNull(applicationForms.deletedAt), opts.cursor ? gt(applicationForms.id, opts.cursor) : undefined))
      .orderBy(asc(applicationForms.id))
      .limit(opts.limit + 1);
  },
  async delete(tx: Tx, tenantId: string, id: string, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(applicationForms)
      .set({ deletedAt: now, updatedAt: now, version: sql`${applicationForms.version} + 1` })
      .where(and(eq(applicationForms.tenantId, tenantId), eq(applicationForms.id, id), eq(applicationForms.version, expectedVersion)))
      .returning();
    return row;
  },
};
