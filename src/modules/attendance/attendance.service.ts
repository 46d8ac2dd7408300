import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { ratioStatus } from '../../core/ratios.js';
import { addDays, localDate } from '../../core/time.js';
import { attendanceRepository } from './attendance.repository.js';
import { attendanceDto, rollupDto, type AttendanceDto, type CheckInInput, type CheckOutInput, type CorrectionInput, type MoveInput } from './attendance.dto.js';
import { auditActor, auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { databaseNow } from '../../db/clock.repository.js';
import { forTenant, pgConstraint, type Tx } from '../../db/db.js';
import { checkInRepository } from './check-in-out.repository.js';
import { absenceDto } from './absences.dto.js';
import { rollupsRepository } from './rollups.repository.js';
import { centreDate, clientInstant as instant, visibleRoomId, visibleStudent, visibleStudentId, visibleStudentIds } from '../../kernel/day.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { checkRange, MAX_REPORT_DAYS } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';

const ONE_OPEN = 'attendance_one_open_per_student';
const alreadyIn = () => conflict('The child is already checked in');
/** Two check-ins of one child racing past the checks: the partial unique index lets exactly one commit. */
const asCheckInConflict = (e: unknown) => (pgConstraint(e) === ONE_OPEN ? alreadyIn() : e);

/** Check-in/out (one open record per child), corrections, the attendance list and the room roster with ratios. */
/** The repositories the attendance service works through (a test hands in fakes to aim at one rule). */
export interface AttendanceRepositories {
  attendance: typeof attendanceRepository;
  rollups: Pick<typeof rollupsRepository, 'list'>;
  audit: Pick<AuditRepository, 'append'>;
}

/** Called inside the check-out's transaction (billing's late-pickup fee); a throw rolls the check-out back. */
export type OnCheckOut = (tx: Tx, ctx: Actor, c: { studentId: string; attendanceId: string; checkOutAt: Date }) => Promise<void>;

export function createAttendanceService({
  db,
  clock,
  repositories = { attendance: attendanceRepository, rollups: rollupsRepository, audit: auditRepository },
  onCheckOut,
  notify = async () => {},
}: Pick<ServiceDeps, 'clock' | 'notify'> & {
  db: Pick<ServiceDeps['db'], 'scoped'>;
  repositories?: AttendanceRepositories;
  onCheckOut?: OnCheckOut;
}) {
  // The handed-in repositories stand in for the modules' own below.
  const { attendance: repo, rollups: rollupsRepository, audit: auditRepository } = repositories;

  /** Check-in in three round trips (issue 28, check-in-out.repository.ts): the same checks in the same order. */
  async function checkInWith(tx: Tx, ctx: Actor, input: CheckInInput): Promise<AttendanceDto> {
    if (!isUuid(input.studentId)) throw notFound('Student');
    const now = clock.now();
    const guardianId = input.droppedOffByGuardianId;
    const named = guardianId !== undefined && isUuid(guardianId) ? guardianId.toLowerCase() : null;
    const f = await checkInRepository.facts(tx, ctx.tenantId, input.studentId.toLowerCase(), named);
    const at = instant(input.at, 'at', f.now);
    await visibleStudentId(tx, ctx, input.studentId);
    const s = f.student;
    if (!s) throw notFound('Student');
    if (s.archivedAt) throw conflict('The child is archived');
    if (s.status !== 'enrolled') throw conflict('The child is withdrawn');
    if (guardianId !== undefined && !f.linked)
      throw unprocessable('That guardian is not linked to this child', [{ path: 'droppedOffByGuardianId', message: 'not a guardian of this child' }]);
    const room = s.roomId ? f.room : undefined;
    const date = localDate(at, f.timezone ?? 'UTC');
    const out = await checkInRepository.checkAndInsert(tx, {
      id: newId(),
      tenantId: ctx.tenantId,
      studentId: s.id,
      room,
      date,
      checkInAt: at,
      checkedInByMembershipId: ctx.membershipId,
      droppedOffByGuardianId: named,
      method: input.method ?? 'staff',
      note: input.note ?? null,
      now,
    });
    if (out.open) throw alreadyIn();
    if (room && out.inRoom >= room.capacity) throw conflict('The room is full', [{ path: 'roomId', message: `capacity ${room.capacity} reached` }]);
    if (out.lastOut && at < out.lastOut)
      throw unprocessable('The check-in is before the child’s last check-out', [{ path: 'at', message: `must not be before ${out.lastOut.toISOString()}` }]);
    const row = out.row;
    if (!row) throw new Error('check-in: the statement refused the insert for no reason the checks know');
    const dto = attendanceDto(row);
    await auditRepository.append(tx, { ...auditActor(ctx), action: 'attendance.checked_in', targetType: 'attendance', targetId: row.id, after: dto });
    if (f.viewers.length)
      await notify(tx, ctx.tenantId, { type: 'attendance.checked_in', subject: { type: 'attendance', id: row.id }, recipients: { guardianIds: f.viewers }, data: { childFirstName: s.firstName, studentId: s.id } });
    // The child is here: that day's absence went with the insert, and the audit log keeps what it said.
    const absence = out.removedAbsence;
    if (absence)
      await auditRepository.append(tx, { ...auditActor(ctx), action: 'absence.removed_by_check_in', targetType: 'absence', targetId: absence.id, before: absenceDto(absence), after: { attendanceId: row.id } });
    return dto;
  }

  async function checkOutWith(tx: Tx, ctx: Actor, input: CheckOutInput): Promise<AttendanceDto> {
    if (!isUuid(input.studentId)) throw notFound('Student');
    const now = clock.now();
    const guardianId = input.pickedUpByGuardianId;
    const named = guardianId !== undefined && isUuid(guardianId) ? guardianId.toLowerCase() : null;
    // The clock, the child, the open stay (locked), the adult's link and the child's viewers in one round trip.
    const f = await checkInRepository.checkOutFacts(tx, ctx.tenantId, input.studentId.toLowerCase(), named);
    const at = instant(input.at, 'at', f.now);
    await visibleStudentId(tx, ctx, input.studentId);
    const s = f.student;
    if (!s) throw notFound('Student');
    const open = f.open;
    if (!open) throw conflict('The child is not checked in');
    if (at < open.checkInAt)
      throw unprocessable('The check-out is before the check-in', [{ path: 'at', message: `must not be before ${open.checkInAt.toISOString()}` }]);
    if (guardianId !== undefined && !f.authorizedPickup)
      throw unprocessable('That guardian is not authorized to pick this child up', [{ path: 'pickedUpByGuardianId', message: 'not an authorized pickup' }]);
    const row = await repo.close(tx, ctx.tenantId, open.id, { checkOutAt: at, checkedOutByMembershipId: ctx.membershipId, pickedUpByGuardianId: named }, now);
    if (!row) throw conflict('The child is not checked in');
    const dto = attendanceDto(row);
    await auditRepository.append(tx, { ...auditActor(ctx), action: 'attendance.checked_out', targetType: 'attendance', targetId: row.id, before: attendanceDto(open), after: dto });
    await onCheckOut?.(tx, ctx, { studentId: s.id, attendanceId: row.id, checkOutAt: at });
    if (f.viewers.length)
      await notify(tx, ctx.tenantId, { type: 'attendance.checked_out', subject: { type: 'attendance', id: row.id }, recipients: { guardianIds: f.viewers }, data: { childFirstName: s.firstName, studentId: s.id } });
    return dto;
  }

  return {
    /** The nightly per-room, per-day figures (default: the last 30 days). */
    async listRollups(ctx: TenantContext, q: { from?: string; to?: string; roomId?: string }) {
      const to = q.to ?? addDays(q.from ?? clock.now().toISOString().slice(0, 10), 30);
      const from = q.from ?? addDays(to, -30);
      checkRange(from, to, MAX_REPORT_DAYS);
      if (q.roomId && !isUuid(q.roomId)) return { items: [], nextCursor: null };
      const rows = await db.scoped(forTenant(ctx), (tx) => rollupsRepository.list(tx, ctx.tenantId, { from, to, roomId: q.roomId?.toLowerCase() }));
      return { items: rows.map(rollupDto), nextCursor: null };
    },

    async checkIn(ctx: Actor, input: CheckInInput): Promise<AttendanceDto> {
      if (!isUuid(input.studentId)) throw notFound('Student');
      try {
        return await db.scoped(forTenant(ctx), (tx) => checkInWith(tx, ctx, input));
      } catch (e) {
        throw asCheckInConflict(e);
      }
    },

    /**
     * The check-in inside the caller's transaction (the kiosk's: its PIN check, the children and their check-ins are
     * one transaction). The caller maps a failure through `asCheckInConflict` once its transaction has rolled back.
     */
    checkInWith,
    /** What a failure of `checkInWith` answers once the caller's transaction has rolled back. */
    asCheckInConflict,

    async checkOut(ctx: Actor, input: CheckOutInput): Promise<AttendanceDto> {
      if (!isUuid(input.studentId)) throw notFound('Student');
      return db.scoped(forTenant(ctx), (tx) => checkOutWith(tx, ctx, input));
    },

    /** The check-out inside the caller's transaction (the kiosk's). */
    checkOutWith,

    /**
     * Moves a checked-in child to another room: the open stay closes at `at` with `movedToRoomId`, and a stay in the
     * new room opens at the same instant, in one transaction. The destination room is locked first (its capacity holds
     * against concurrent check-ins and moves), then the open stay; a concurrent move or check-out that closed it
     * meanwhile leaves nothing open to move (409), so a child is never in two rooms or in none.
     */
    async move(ctx: TenantContext, input: MoveInput): Promise<AttendanceDto> {
      if (!isUuid(input.studentId)) throw notFound('Student');
      const now = clock.now();
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          const at = instant(input.at, 'at', await databaseNow(tx));
          const s = await visibleStudent(tx, ctx, input.studentId);
          const dest = isUuid(input.roomId) ? await repo.lockRoom(tx, ctx.tenantId, input.roomId.toLowerCase()) : undefined;
          if (!dest || dest.archivedAt) throw unprocessable('No such room', [{ path: 'roomId', message: 'not a room of this centre' }]);
          const open = await repo.findOpen(tx, ctx.tenantId, s.id, true);
          if (!open) throw conflict('The child is not checked in');
          if (open.roomId === dest.id) throw unprocessable('The child is already in that room', [{ path: 'roomId', message: 'the child is already in this room' }]);
          if (at < open.checkInAt)
            throw unprocessable('The move is before the child’s arrival in the current room', [{ path: 'at', message: `must not be before ${open.checkInAt.toISOString()}` }]);
          if ((await repo.countOpenInRoom(tx, ctx.tenantId, dest.id)) >= dest.capacity)
            throw conflict('The room is full', [{ path: 'roomId', message: `capacity ${dest.capacity} reached` }]);
          const closed = await repo.closeByMove(tx, ctx.tenantId, open.id, { checkOutAt: at, checkedOutByMembershipId: ctx.membershipId, movedToRoomId: dest.id }, now);
          if (!closed) throw conflict('The child is not checked in');
          const row = await repo.insert(tx, {
            id: newId(),
            tenantId: ctx.tenantId,
            studentId: s.id,
            roomId: dest.id,
            date: await centreDate(tx, ctx.tenantId, at),
            checkInAt: at,
            checkedInByMembershipId: ctx.membershipId,
            // The same arrival continues in another room: who dropped the child off and how stay with the child.
            droppedOffByGuardianId: open.droppedOffByGuardianId,
            method: open.method,
            note: null,
            createdAt: now,
            updatedAt: now,
          });
          const dto = attendanceDto(row);
          await auditRepository.append(tx, { ...auditActor(ctx), action: 'attendance.moved', targetType: 'attendance', targetId: row.id, before: attendanceDto(open), after: { closed: attendanceDto(closed), opened: dto } });
          return dto;
        });
      } catch (e) {
        if (pgConstraint(e) === ONE_OPEN) throw conflict('The child was moved or checked out meanwhile');
        throw e;
      }
    },

    async list(ctx: TenantContext, q: { date?: string; roomId?: string; studentId?: string; limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const studentIds = await visibleStudentIds(tx, ctx);
        return repo.list(tx, ctx.tenantId, { ...q, cursor, studentIds });
      });
      return toPage(rows, q.limit, attendanceDto, (r) => r.id);
    },

    /** A staff correction of a record, audited with before, after and the reason. */
    async correct(ctx: TenantContext, id: string, input: CorrectionInput, ifMatch?: number): Promise<AttendanceDto> {
      if (!isUuid(id)) throw notFound('Attendance record');
      const now = clock.now();
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          const { after } = await changeVersioned(tx, ctx, {
            what: 'Attendance record',
            target: { type: 'attendance', id },
            ifMatch,
            lock: () => repo.get(tx, ctx.tenantId, id, true),
            visible: async (b) => {
              await visibleStudentId(tx, ctx, b.studentId);
            },
            async write(before) {
              const dbNow = await databaseNow(tx);
              const checkInAt = input.checkInAt !== undefined ? instant(input.checkInAt, 'checkInAt', dbNow) : before.checkInAt;
              const checkOutAt = input.checkOutAt !== undefined ? instant(input.checkOutAt, 'checkOutAt', dbNow) : before.checkOutAt;
              if (checkOutAt && checkOutAt < checkInAt)
                throw unprocessable('The check-out is before the check-in', [{ path: input.checkOutAt !== undefined ? 'checkOutAt' : 'checkInAt', message: 'check-out must not be before check-in' }]);
              const patch = {
                checkInAt,
                checkOutAt,
                date: input.checkInAt !== undefined ? await centreDate(tx, ctx.tenantId, checkInAt) : before.date,
                ...(input.note !== undefined ? { note: input.note } : {}),
              };
              return repo.update(tx, ctx.tenantId, id, patch, before.version, now);
            },
            audit: (b, a) => ({ action: 'attendance.corrected', before: attendanceDto(b), after: { ...attendanceDto(a), reason: input.reason } }),
          }, auditRepository);
          return attendanceDto(after!);
        });
      } catch (e) {
        if (pgConstraint(e) === ONE_OPEN) throw alreadyIn();
        throw e;
      }
    },

    /**
     * Who is in the room now and whether its staff meet the ratio. A guardian sees only their own children in
     * `present` (never other children's names); the counts and the ratio describe the whole room.
     */
    async roster(ctx: TenantContext, roomId: string) {
      if (!isUuid(roomId)) throw notFound('Room');
      return db.scoped(forTenant(ctx), async (tx) => {
        const read = await repo.roster(tx, ctx.tenantId, roomId, clock.now());
        if (!read) throw notFound('Room');
        // A guardian: only a room of their own children, and in it only their own children by name.
        await visibleRoomId(tx, ctx, roomId);
        const visible = await visibleStudentIds(tx, ctx);
        const { room, present, staff } = read;
        const shown = visible === null ? present : present.filter((p) => visible.includes(p.id));
        const absent = visible === null ? read.absent : read.absent.filter((a) => visible.includes(a.studentId));
        return {
          room: { id: room.id, name: room.name, capacity: room.capacity, ageGroup: room.ageGroup, ratio: room.ratio },
          present: shown.map((p) => ({ id: p.id, firstName: p.firstName, lastName: p.lastName, attendanceId: p.attendanceId, checkInAt: p.checkInAt.toISOString() })),
          absent: absent.map((a) => ({ studentId: a.studentId, firstName: a.firstName, lastName: a.lastName, reason: a.reason, note: ctx.guardianOnly ? null : a.note, absenceId: a.id })),
          presentCount: present.length,
          staffOnDuty: staff.length,
          // A guardian gets their own children and the counts, never who is working (no staff identities).
          staff: ctx.guardianOnly ? [] : staff,
          ratio: ratioStatus(present.length, staff.length, room),
        };
      });
    },
  };
}
export type AttendanceService = ReturnType<typeof createAttendanceService>;
