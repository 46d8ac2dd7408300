import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { attendance, studentGuardians } from '../../models/index.js';
import type { AbsenceReason, AgeGroup } from '../../models/enums.js';
import { insertStatement, selectList } from '../../db/columns-sql.js';
import { queryMany, queryRows, type Tx } from '../../db/db.js';

export type AttendanceRow = typeof attendance.$inferSelect;

const ROSTER_ROOM = 'select id, name, capacity, age_group as "ageGroup", ratio, archived_at as "archivedAt" from rooms where tenant_id = $1 and id = $2';
const ROSTER_PRESENT = `select s.id, s.first_name as "firstName", s.last_name as "lastName", a.id as "attendanceId", a.check_in_at as "checkInAt"
  from attendance a join students s on s.tenant_id = a.tenant_id and s.id = a.student_id
  where a.tenant_id = $1 and a.room_id = $2 and a.check_out_at is null order by s.last_name, s.first_name, s.id`;
const ROSTER_STAFF = `select st.id, st.first_name as "firstName", st.last_name as "lastName"
  from shifts sh join staff st on st.tenant_id = sh.tenant_id and st.id = sh.staff_id
  where sh.tenant_id = $1 and sh.room_id = $2 and sh.clock_out_at is null order by st.last_name, st.first_name, st.id`;
/** The centre's local date at $3 (the service's clock), in its own time zone: what `localDate(now, timezone)` answers. */
const ROSTER_ABSENT = `select ab.id, ab.student_id as "studentId", ab.reason, ab.note, s.first_name as "firstName", s.last_name as "lastName"
  from absences ab join students s on s.tenant_id = ab.tenant_id and s.id = ab.student_id
  where ab.tenant_id = $1 and s.room_id = $2
    and ab.date = ($3::timestamptz at time zone coalesce((select timezone from tenants where id = $1), 'UTC'))::date
  order by s.last_name, s.first_name, s.id`;
export type AttendanceInsert = typeof attendance.$inferInsert;

/** Check-in and check-out, written as SQL (the hot write path): no query building per request. */
const ATTENDANCE_COLUMNS = selectList(attendance);
const FIND_OPEN = `select ${ATTENDANCE_COLUMNS} from attendance where tenant_id = $1 and student_id = $2 and check_out_at is null`;
const CLOSE = `update attendance set check_out_at = $3, checked_out_by_membership_id = $4, picked_up_by_guardian_id = $5, updated_at = $6, version = version + 1
  where tenant_id = $1 and id = $2 and check_out_at is null returning ${ATTENDANCE_COLUMNS}`;

/**
 * Attendance records plus the few reads on rooms, students, guardians and staff that check-in, check-out and the
 * roster need. Every query names the tenant explicitly as well as running under row-level security.
 */
export const attendanceRepository = {
  /** Locks the room row: check-ins into one room are serialized, so two of them cannot both take its last place. */
  async lockRoom(tx: Tx, tenantId: string, id: string) {
    const [row] = await queryRows<{ id: string; capacity: number; archivedAt: Date | null }>(
      tx,
      'select id, capacity, archived_at as "archivedAt" from rooms where tenant_id = $1 and id = $2 for update',
      [tenantId, id],
    );
    return row;
  },

  async countOpenInRoom(tx: Tx, tenantId: string, roomId: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(tx, 'select count(*)::int as n from attendance where tenant_id = $1 and room_id = $2 and check_out_at is null', [tenantId, roomId]);
    return row?.n ?? 0;
  },

  async findOpen(tx: Tx, tenantId: string, studentId: string, forUpdate = false) {
    const [row] = await queryRows<AttendanceRow>(tx, forUpdate ? `${FIND_OPEN} for update` : FIND_OPEN, [tenantId, studentId]);
    return row;
  },

  /** The child's latest check-out: a new check-in may not start before it (stays never overlap). */
  async lastCheckOut(tx: Tx, tenantId: string, studentId: string): Promise<Date | null> {
    const [row] = await queryRows<{ at: Date | null }>(tx, 'select max(check_out_at) as at from attendance where tenant_id = $1 and student_id = $2', [tenantId, studentId]);
    return row?.at ?? null;
  },

  async guardianLink(tx: Tx, tenantId: string, studentId: string, guardianId: string) {
    const [row] = await tx
      .select({ authorizedPickup: studentGuardians.authorizedPickup })
      .from(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, tenantId), eq(studentGuardians.studentId, studentId), eq(studentGuardians.guardianId, guardianId)));
    return row;
  },

  async insert(tx: Tx, values: AttendanceInsert) {
    const st = insertStatement(attendance, values);
    const [row] = await queryRows<AttendanceRow>(tx, st.text, st.values);
    return row!;
  },

  async get(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(attendance).where(and(eq(attendance.tenantId, tenantId), eq(attendance.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },

  /** Closes the open record; undefined when it was closed meanwhile. */
  async close(tx: Tx, tenantId: string, id: string, values: { checkOutAt: Date; checkedOutByMembershipId: string | null; pickedUpByGuardianId: string | null }, now: Date) {
    const [row] = await queryRows<AttendanceRow>(tx, CLOSE, [tenantId, id, values.checkOutAt, values.checkedOutByMembershipId, values.pickedUpByGuardianId, now]);
    return row;
  },

  /** Closes the open stay because the child moved to `movedToRoomId`; undefined when it was closed meanwhile. */
  async closeByMove(tx: Tx, tenantId: string, id: string, values: { checkOutAt: Date; checkedOutByMembershipId: string; movedToRoomId: string }, now: Date) {
    const [row] = await tx
      .update(attendance)
      .set({ ...values, updatedAt: now, version: sql`${attendance.version} + 1` })
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.id, id), isNull(attendance.checkOutAt)))
      .returning();
    return row;
  },

  async update(
    tx: Tx,
    tenantId: string,
    id: string,
    patch: Partial<Pick<AttendanceRow, 'checkInAt' | 'checkOutAt' | 'note' | 'date'>>,
    expectedVersion: number,
    now: Date,
  ) {
    const [row] = await tx
      .update(attendance)
      .set({ ...patch, updatedAt: now, version: sql`${attendance.version} + 1` })
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.id, id), eq(attendance.version, expectedVersion)))
      .returning();
    return row;
  },

  /** `studentIds` restricts the list (a guardian's own children); an empty array matches nothing. */
  async list(tx: Tx, tenantId: string, f: { date?: string; roomId?: string; studentId?: string; studentIds?: string[] | null; cursor?: string; limit: number }) {
    if (f.studentIds && !f.studentIds.length) return [];
    return tx
      .select()
      .from(attendance)
      .where(
        and(
          eq(attendance.tenantId, tenantId),
          f.date ? eq(attendance.date, f.date) : undefined,
          f.roomId ? eq(attendance.roomId, f.roomId) : undefined,
          f.studentId ? eq(attendance.studentId, f.studentId) : undefined,
          f.studentIds ? inArray(attendance.studentId, f.studentIds) : undefined,
          f.cursor ? gt(attendance.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(attendance.id))
      .limit(f.limit + 1);
  },

  /**
   * Everything the roster shows, read in one round trip (written as SQL): the room, the children in it now, the staff
   * clocked in to it now (CONTRACT §5: assignment to a room is not presence), and the children of the room absent on
   * the centre's local date at `now`. undefined when there is no such room.
   */
  async roster(tx: Tx, tenantId: string, roomId: string, now: Date) {
    const [room, present, staff, absent] = await queryMany(tx, [
      { text: ROSTER_ROOM, values: [tenantId, roomId] },
      { text: ROSTER_PRESENT, values: [tenantId, roomId] },
      { text: ROSTER_STAFF, values: [tenantId, roomId] },
      { text: ROSTER_ABSENT, values: [tenantId, roomId, now] },
    ]);
    if (!room!.length) return undefined;
    return {
      room: room![0] as { id: string; name: string; capacity: number; ageGroup: AgeGroup | null; ratio: number | null; archivedAt: Date | null },
      present: present as { id: string; firstName: string; lastName: string; attendanceId: string; checkInAt: Date }[],
      staff: staff as { id: string; firstName: string; lastName: string }[],
      absent: absent as { id: string; studentId: string; reason: AbsenceReason; note: string | null; firstName: string; lastName: string }[],
    };
  },
};
