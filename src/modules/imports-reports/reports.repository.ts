import { and, asc, count, eq, gte, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { absences, attendance, guardians, rooms, students } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export interface AttendanceReportFilter {
  from: string;
  to: string;
  roomId?: string;
}

const droppedOffBy = alias(guardians, 'dropped_off_by');
const pickedUpBy = alias(guardians, 'picked_up_by');
const movedTo = alias(rooms, 'moved_to');

const filter = (tenantId: string, f: AttendanceReportFilter) =>
  and(eq(attendance.tenantId, tenantId), gte(attendance.date, f.from), lte(attendance.date, f.to), f.roomId ? eq(attendance.roomId, f.roomId) : undefined);

/** Report queries: keyset pages ordered by (date, id), so memory stays flat however long the range. */
export const reportsRepository = {
  async roomExists(tx: Tx, tenantId: string, roomId: string) {
    const [row] = await tx.select({ id: rooms.id }).from(rooms).where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, roomId)));
    return !!row;
  },

  async countAttendance(tx: Tx, tenantId: string, f: AttendanceReportFilter) {
    const [row] = await tx.select({ n: count() }).from(attendance).where(filter(tenantId, f));
    return Number(row?.n ?? 0);
  },

  async attendancePage(tx: Tx, tenantId: string, f: AttendanceReportFilter, after: { date: string; id: string } | undefined, limit: number) {
    return tx
      .select({
        id: attendance.id,
        date: attendance.date,
        checkInAt: attendance.checkInAt,
        checkOutAt: attendance.checkOutAt,
        firstName: students.firstName,
        lastName: students.lastName,
        roomName: rooms.name,
        movedToName: movedTo.name,
        method: attendance.method,
        droppedOffFirst: droppedOffBy.firstName,
        droppedOffLast: droppedOffBy.lastName,
        pickedUpFirst: pickedUpBy.firstName,
        pickedUpLast: pickedUpBy.lastName,
      })
      .from(attendance)
      .innerJoin(students, and(eq(students.tenantId, attendance.tenantId), eq(students.id, attendance.studentId)))
      .leftJoin(rooms, and(eq(rooms.tenantId, attendance.tenantId), eq(rooms.id, attendance.roomId)))
      .leftJoin(movedTo, and(eq(movedTo.tenantId, attendance.tenantId), eq(movedTo.id, attendance.movedToRoomId)))
      .leftJoin(droppedOffBy, and(eq(droppedOffBy.tenantId, attendance.tenantId), eq(droppedOffBy.id, attendance.droppedOffByGuardianId)))
      .leftJoin(pickedUpBy, and(eq(pickedUpBy.tenantId, attendance.tenantId), eq(pickedUpBy.id, attendance.pickedUpByGuardianId)))
      .where(and(filter(tenantId, f), after ? sql`(${attendance.date}, ${attendance.id}) > (${after.date}, ${after.id}::uuid)` : undefined))
      .orderBy(asc(attendance.date), asc(attendance.id))
      .limit(limit);
  },

  async countAbsences(tx: Tx, tenantId: string, f: AttendanceReportFilter) {
    const [row] = await tx.select({ n: count() }).from(absences).innerJoin(students, and(eq(students.tenantId, absences.tenantId), eq(students.id, absences.studentId))).where(absenceFilter(tenantId, f));
    return Number(row?.n ?? 0);
  },

  /** Absences in the range (the child's own room when a room is asked for), keyset pages by (date, id). */
  async absencePage(tx: Tx, tenantId: string, f: AttendanceReportFilter, after: { date: string; id: string } | undefined, limit: number) {
    return tx
      .select({ id: absences.id, date: absences.date, reason: absences.reason, firstName: students.firstName, lastName: students.lastName, roomName: rooms.name })
      .from(absences)
      .innerJoin(students, and(eq(students.tenantId, absences.tenantId), eq(students.id, absences.studentId)))
      .leftJoin(rooms, and(eq(rooms.tenantId, students.tenantId), eq(rooms.id, students.roomId)))
      .where(and(absenceFilter(tenantId, f), after ? sql`(${absences.date}, ${absences.id}) > (${after.date}, ${after.id}::uuid)` : undefined))
      .orderBy(asc(absences.date), asc(absences.id))
      .limit(limit);
  },
};

function absenceFilter(tenantId: string, f: AttendanceReportFilter) {
  return and(eq(absences.tenantId, tenantId), gte(absences.date, f.from), lte(absences.date, f.to), f.roomId ? eq(students.roomId, f.roomId) : undefined);
}
