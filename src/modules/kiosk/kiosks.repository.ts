import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { attendance, kiosks, studentGuardians, students } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

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
   * Reserves one PIN attempt at a live kiosk, atomically (the row's lock serialises concurrent attempts until the
   * transaction ends): counts it in the current window (a new window when the last one ended) unless the kiosk is
   * locked or the window's attempts are used up. Returns the attempt's number in its window, or null when refused.
   */
  async reservePinAttempt(tx: Tx, tenantId: string, id: string, now: Date, max: number, windowSeconds: number): Promise<number | null> {
    const fresh = sql`(${kiosks.pinWindowEndsAt} is null or ${kiosks.pinWindowEndsAt} <= ${now})`;
    const [row] = await tx
      .update(kiosks)
      .set({
        pinFailures: sql`case when ${fresh} then 1 else ${kiosks.pinFailures} + 1 end`,
        pinWindowEndsAt: sql`case when ${fresh} then ${now}::timestamptz + make_interval(secs => ${windowSeconds}) else ${kiosks.pinWindowEndsAt} end`,
      })
      .where(
        and(
          eq(kiosks.tenantId, tenantId),
          eq(kiosks.id, id),
          isNull(kiosks.revokedAt),
          sql`(${kiosks.pinLockedUntil} is null or ${kiosks.pinLockedUntil} <= ${now})`,
          sql`(${fresh} or ${kiosks.pinFailures} < ${max})`,
        ),
      )
      .returning({ n: kiosks.pinFailures });
    return row?.n ?? null;
  },
  /** A right PIN gives its reserved attempt back. */
  async releasePinAttempt(tx: Tx, tenantId: string, id: string) {
    await tx
      .update(kiosks)
      .set({ pinFailures: sql`greatest(${kiosks.pinFailures} - 1, 0)` })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
  },
  /** The attempts of the window are used up by wrong PINs: the kiosk locks until `until`, and a new window starts after. */
  async lockPins(tx: Tx, tenantId: string, id: string, until: Date) {
    await tx
      .update(kiosks)
      .set({ pinLockedUntil: until, pinFailures: 0, pinWindowEndsAt: null })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
  },
  /** When a refused attempt may try again: the end of the lock, or of the window whose attempts are used up. */
  async pinRetryAt(tx: Tx, tenantId: string, id: string): Promise<Date | null> {
    const [row] = await tx
      .select({ locked: kiosks.pinLockedUntil, window: kiosks.pinWindowEndsAt })
      .from(kiosks)
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
    if (!row) return null;
    const t = Math.max(row.locked?.getTime() ?? 0, row.window?.getTime() ?? 0);
    return t ? new Date(t) : null;
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
