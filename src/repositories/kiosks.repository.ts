import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { attendance, kiosks, studentGuardians, students } from '../models/index.js';
import type { Tx } from './db.js';

export type KioskRow = typeof kiosks.$inferSelect;

export const kiosksRepository = {
  async insert(tx: Tx, values: typeof kiosks.$inferInsert & { tenantId: string }) {
    const [row] = await tx.insert(kiosks).values(values).returning();
    return row!;
  },
  /** A live (not revoked) kiosk. */
  async getLive(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(kiosks).where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id), isNull(kiosks.revokedAt)));
    return row;
  },
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(kiosks).where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id))).for('update');
    return row;
  },
  async listLive(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number }) {
    return tx
      .select()
      .from(kiosks)
      .where(and(eq(kiosks.tenantId, tenantId), isNull(kiosks.revokedAt), opts.cursor ? gt(kiosks.id, opts.cursor) : undefined))
      .orderBy(asc(kiosks.id))
      .limit(opts.limit + 1);
  },
  async revoke(tx: Tx, tenantId: string, id: string, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(kiosks)
      .set({ revokedAt: now, updatedAt: now, version: sql`${kiosks.version} + 1` })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id), eq(kiosks.version, expectedVersion)))
      .returning();
    return row;
  },
  /**
   * The children an adult may act for at the door: linked, not archived, and either visible to them or theirs to pick
   * up (a pickup-only contact sees the children they collect, nothing more). `checkedIn` = an open attendance record.
   */
  async childrenOf(tx: Tx, tenantId: string, guardianId: string) {
    return tx
      .select({
        id: students.id,
        firstName: students.firstName,
        lastName: students.lastName,
        authorizedPickup: studentGuardians.authorizedPickup,
        canViewRecords: studentGuardians.canViewRecords,
        checkedIn: sql<boolean>`exists (select 1 from ${attendance} a where a.tenant_id = ${students.tenantId} and a.student_id = ${students.id} and a.check_out_at is null)`,
      })
      .from(studentGuardians)
      .innerJoin(students, and(eq(students.tenantId, studentGuardians.tenantId), eq(students.id, studentGuardians.studentId)))
      .where(
        and(
          eq(studentGuardians.tenantId, tenantId),
          eq(studentGuardians.guardianId, guardianId),
          isNull(students.archivedAt),
          sql`(${studentGuardians.canViewRecords} or ${studentGuardians.authorizedPickup})`,
        ),
      )
      .orderBy(asc(students.firstName), asc(students.lastName), asc(students.id));
  },
};
