import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { rooms, shifts, staff } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type ShiftRow = typeof shifts.$inferSelect;
export type ShiftInsert = typeof shifts.$inferInsert;

export const shiftsRepository = {
  async insert(tx: Tx, values: ShiftInsert & { tenantId: string }) {
    const [row] = await tx.insert(shifts).values(values).returning();
    return row!;
  },
  /** The staff member's open shift, row-locked when asked (a move or clock-out changes it). */
  async findOpen(tx: Tx, tenantId: string, staffId: string, lock = false) {
    const q = tx.select().from(shifts).where(and(eq(shifts.tenantId, tenantId), eq(shifts.staffId, staffId), isNull(shifts.clockOutAt)));
    const [row] = await (lock ? q.for('update') : q);
    return row;
  },
  async lastClockOut(tx: Tx, tenantId: string, staffId: string): Promise<Date | undefined> {
    const [row] = await tx
      .select({ at: sql<Date>`max(${shifts.clockOutAt})`.mapWith(shifts.clockOutAt) })
      .from(shifts)
      .where(and(eq(shifts.tenantId, tenantId), eq(shifts.staffId, staffId), isNotNull(shifts.clockOutAt)));
    return row?.at ?? undefined;
  },
  async close(tx: Tx, tenantId: string, id: string, values: { clockOutAt: Date; clockedOutByMembershipId: string | null }, now: Date) {
    const [row] = await tx
      .update(shifts)
      .set({ ...values, updatedAt: now, version: sql`${shifts.version} + 1` })
      .where(and(eq(shifts.tenantId, tenantId), eq(shifts.id, id), isNull(shifts.clockOutAt)))
      .returning();
    return row;
  },
  /** Closes an open shift whose clock-in lies in the future, moving that clock-in too (an owner's or admin's repair). */
  async closeStranded(tx: Tx, tenantId: string, id: string, values: { clockInAt: Date; clockOutAt: Date; date: string; clockedOutByMembershipId: string | null }, now: Date) {
    const [row] = await tx
      .update(shifts)
      .set({ ...values, updatedAt: now, version: sql`${shifts.version} + 1` })
      .where(and(eq(shifts.tenantId, tenantId), eq(shifts.id, id), isNull(shifts.clockOutAt)))
      .returning();
    return row;
  },
  /** Ended shifts of the staff (all staff when null) that overlap [start, end). */
  async endedOverlapping(tx: Tx, tenantId: string, staffIds: string[] | null, start: Date, end: Date) {
    if (staffIds && !staffIds.length) return [];
    return tx
      .select()
      .from(shifts)
      .where(
        and(
          eq(shifts.tenantId, tenantId),
          staffIds ? inArray(shifts.staffId, staffIds) : undefined,
          lt(shifts.clockInAt, end),
          gt(shifts.clockOutAt, start),
        ),
      )
      .orderBy(asc(shifts.staffId), asc(shifts.clockInAt), asc(shifts.id));
  },
  /** Everyone clocked in anywhere in the centre now (the end-of-day reminder). */
  async openShifts(tx: Tx, tenantId: string) {
    return tx
      .select({ staffId: staff.id, firstName: staff.firstName, lastName: staff.lastName, roomId: shifts.roomId, clockInAt: shifts.clockInAt })
      .from(shifts)
      .innerJoin(staff, and(eq(staff.tenantId, shifts.tenantId), eq(staff.id, shifts.staffId)))
      .where(and(eq(shifts.tenantId, tenantId), isNull(shifts.clockOutAt)))
      .orderBy(asc(staff.lastName), asc(staff.firstName));
  },
  /** Shifts (open or ended) overlapping [start, end) in the centre: the rollup's staff-minutes and ratio timeline. */
  async overlapping(tx: Tx, tenantId: string, start: Date, end: Date) {
    return tx
      .select({ staffId: shifts.staffId, roomId: shifts.roomId, clockInAt: shifts.clockInAt, clockOutAt: shifts.clockOutAt })
      .from(shifts)
      .where(and(eq(shifts.tenantId, tenantId), lt(shifts.clockInAt, end), or(isNull(shifts.clockOutAt), gt(shifts.clockOutAt, start))));
  },
  async liveRoom(tx: Tx, tenantId: string, roomId: string) {
    const [row] = await tx.select({ id: rooms.id }).from(rooms).where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, roomId), isNull(rooms.archivedAt)));
    return row;
  },
  /** The live staff records whose email is this account's (a teacher's "own staff record"). */
  async staffIdsByEmail(tx: Tx, tenantId: string, email: string) {
    const rows = await tx.select({ id: staff.id }).from(staff).where(and(eq(staff.tenantId, tenantId), eq(staff.email, email.toLowerCase()), isNull(staff.archivedAt)));
    return rows.map((r) => r.id);
  },
};
