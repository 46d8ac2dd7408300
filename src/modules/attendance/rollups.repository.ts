import { and, asc, eq, gte, isNull, lte, sql } from 'drizzle-orm';
import { attendance, attendanceRollups, messages, rooms, staff, staffRooms, students, taskRuns } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type RollupRow = typeof attendanceRollups.$inferSelect;

/** Scheduled tasks' queries: per-day rollups, end-of-day reminders, and the (tenant, task, day) run markers. */
export const rollupsRepository = {
  /** Claims (tenant, task, day); false when it was already done. Call in the transaction that does the work. */
  async claimRun(tx: Tx, tenantId: string, task: string, day: string) {
    const rows = await tx.insert(taskRuns).values({ tenantId, task, day }).onConflictDoNothing().returning({ day: taskRuns.day });
    return rows.length > 0;
  },
  async doneDays(tx: Tx, tenantId: string, task: string, from: string, to: string) {
    const rows = await tx
      .select({ day: taskRuns.day })
      .from(taskRuns)
      .where(and(eq(taskRuns.tenantId, tenantId), eq(taskRuns.task, task), gte(taskRuns.day, from), lte(taskRuns.day, to)));
    return new Set(rows.map((r) => r.day));
  },
  /** Rooms with their ratio settings and staff count (staff assigned to the room and not archived). */
  async roomsWithStaff(tx: Tx, tenantId: string) {
    return tx
      .select({
        id: rooms.id,
        ratio: rooms.ratio,
        ageGroup: rooms.ageGroup,
        archivedAt: rooms.archivedAt,
        staffCount: sql<number>`(select count(*)::int from ${staffRooms} sr join ${staff} st on st.tenant_id = sr.tenant_id and st.id = sr.staff_id
          where sr.tenant_id = rooms.tenant_id and sr.room_id = rooms.id and st.archived_at is null)`,
      })
      .from(rooms)
      .where(eq(rooms.tenantId, tenantId));
  },
  async attendanceOfDay(tx: Tx, tenantId: string, day: string) {
    return tx
      .select({ studentId: attendance.studentId, roomId: attendance.roomId, checkInAt: attendance.checkInAt, checkOutAt: attendance.checkOutAt })
      .from(attendance)
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.date, day)));
  },
  async upsertRollup(tx: Tx, v: Omit<RollupRow, 'createdAt' | 'updatedAt' | 'version'>, now: Date) {
    await tx
      .insert(attendanceRollups)
      .values(v)
      .onConflictDoUpdate({
        target: [attendanceRollups.tenantId, attendanceRollups.date, attendanceRollups.roomId],
        set: {
          childrenPresent: v.childrenPresent,
          totalMinutes: v.totalMinutes,
          peakCount: v.peakCount,
          ratioBreaches: v.ratioBreaches,
          staffMinutes: v.staffMinutes,
          outOfRatioMinutes: v.outOfRatioMinutes,
          updatedAt: now,
          version: sql`${attendanceRollups.version} + 1`,
        },
      });
  },
  async list(tx: Tx, tenantId: string, q: { from: string; to: string; roomId?: string }) {
    return tx
      .select()
      .from(attendanceRollups)
      .where(
        and(
          eq(attendanceRollups.tenantId, tenantId),
          gte(attendanceRollups.date, q.from),
          lte(attendanceRollups.date, q.to),
          q.roomId ? eq(attendanceRollups.roomId, q.roomId) : undefined,
        ),
      )
      .orderBy(asc(attendanceRollups.date), asc(attendanceRollups.roomId))
      .limit(20_000);
  },
  /** Children still checked in on `day`, with their room (for the end-of-day reminder). */
  async stillCheckedIn(tx: Tx, tenantId: string, day: string) {
    return tx
      .select({ roomId: attendance.roomId, firstName: students.firstName, lastName: students.lastName })
      .from(attendance)
      .innerJoin(students, and(eq(students.tenantId, attendance.tenantId), eq(students.id, attendance.studentId)))
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.date, day), isNull(attendance.checkOutAt)))
      .orderBy(asc(students.lastName), asc(students.firstName));
  },
  async insertMessage(tx: Tx, v: { id: string; tenantId: string; authorMembershipId: string; audienceType: string; audienceId: string | null; body: string }) {
    await tx.insert(messages).values(v as typeof messages.$inferInsert);
  },
};
