import type { TenantContext } from '../../core/context.js';
import { canonicalEmail } from '../../core/email.js';
import { conflict, forbidden, notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { addDays, localDate, startOfLocalDay } from '../../core/time.js';
import { centreDate, centreTimeZone, clientInstant, isTooFarAhead } from '../../kernel/day.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { databaseNow } from '../../db/clock.repository.js';
import { forTenant, pgConstraint, type Tx } from '../../db/db.js';
import { shiftsRepository as repo, type ShiftRow } from './shifts.repository.js';
import type { StaffRecords } from '../people/index.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { checkRange } from '../../kernel/helpers.js';
import { splitAtLocalMidnight, wholeMinutes } from './timecards.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const shiftDto = (s: ShiftRow) => ({
  id: s.id,
  staffId: s.staffId,
  roomId: s.roomId,
  date: s.date,
  clockInAt: s.clockInAt.toISOString(),
  clockOutAt: s.clockOutAt ? s.clockOutAt.toISOString() : null,
  clockedInByMembershipId: s.clockedInByMembershipId,
  clockedOutByMembershipId: s.clockedOutByMembershipId,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
  version: s.version,
});
export type ShiftDto = ReturnType<typeof shiftDto>;

/** The longest range one timecard query may span (CONTRACT §5 "Staff time"). */
export const MAX_TIMECARD_DAYS = 31;
const ONE_OPEN = 'shifts_one_open_per_staff';
const alreadyIn = () => conflict('This member of staff is already clocked in');
const notIn = () => conflict('This member of staff is not clocked in');

/** How far back a teacher may date their own clock-in, move or clock-out (CONTRACT §5 "Staff time"). */
export const TEACHER_BACKDATE_MS = 12 * 60 * 60 * 1000;

/** Whether the caller may act on (or read the time of) any staff record, or only their own. */
const actsOnAnyone = (ctx: TenantContext) => ctx.roles.includes('owner') || ctx.roles.includes('admin');

/** Clock-in, move and clock-out (one open shift per staff member) and timecards (CONTRACT §5 "Staff time"). */
export function createShiftsService({
  db,
  clock,
  staff,
}: Pick<ServiceDeps, 'db' | 'clock'> & { /** People's (the container's wiring): the staff records. */ staff: Pick<StaffRecords, 'get' | 'getForUpdate'> }) {
  /**
   * The event's time: `at`, or the database's now (the one clock of event times, README "Event times"). At most 5
   * minutes ahead; a teacher's at most 12 hours back (an owner or admin corrects older times, audited).
   */
  function instant(ctx: TenantContext, value: string | undefined, now: Date): Date {
    const at = clientInstant(value, 'at', now);
    if (!actsOnAnyone(ctx) && now.getTime() - at.getTime() > TEACHER_BACKDATE_MS)
      throw unprocessable('The time is more than 12 hours ago', [{ path: 'at', message: 'must not be more than 12 hours in the past (an owner or admin corrects older times)' }]);
    return at;
  }

  /** The staff record named by the path, which the caller may act on: 404 when missing, 403 when it is not theirs. */
  async function actionable(tx: Tx, ctx: TenantContext, rawId: string) {
    if (!isUuid(rawId)) throw notFound('Staff member');
    const row = await staff.getForUpdate(tx, ctx.tenantId, rawId.toLowerCase());
    if (!row) throw notFound('Staff member');
    if (!actsOnAnyone(ctx) && (!row.email || row.email !== canonicalEmail(ctx.email))) throw forbidden('A teacher clocks in and out on their own staff record only');
    if (row.archivedAt) throw conflict('The member of staff is archived');
    return row;
  }
  async function liveRoom(tx: Tx, ctx: TenantContext, roomId: string) {
    const room = isUuid(roomId) ? await repo.liveRoom(tx, ctx.tenantId, roomId.toLowerCase()) : undefined;
    if (!room) throw unprocessable('Unknown room', [{ path: 'roomId', message: 'is not a room of this centre' }]);
    return room.id;
  }
  async function open(tx: Tx, ctx: TenantContext, staffId: string, roomId: string, at: Date, now: Date) {
    return repo.insert(tx, {
      id: newId(),
      tenantId: ctx.tenantId,
      staffId,
      roomId,
      date: await centreDate(tx, ctx.tenantId, at),
      clockInAt: at,
      clockedInByMembershipId: ctx.membershipId,
      createdAt: now,
      updatedAt: now,
    });
  }
  const audit = (tx: Tx, ctx: TenantContext, action: string, s: ShiftRow, before?: ShiftRow) =>
    auditRepository.append(tx, { ...auditActor(ctx), action, targetType: 'shift', targetId: s.id, before: before ? shiftDto(before) : undefined, after: shiftDto(s) });

  async function withOneOpen<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      // Two clock-ins racing past the checks: the partial unique index lets exactly one commit.
      if (pgConstraint(e) === ONE_OPEN) throw alreadyIn();
      throw e;
    }
  }

  return {
    async clockIn(ctx: TenantContext, staffId: string, input: { roomId: string; at?: string }): Promise<ShiftDto> {
      const now = clock.now();
      return withOneOpen(() =>
        db.scoped(forTenant(ctx), async (tx) => {
          const member = await actionable(tx, ctx, staffId);
          const at = instant(ctx, input.at, await databaseNow(tx));
          const roomId = await liveRoom(tx, ctx, input.roomId);
          if (await repo.findOpen(tx, ctx.tenantId, member.id)) throw alreadyIn();
          const last = await repo.lastClockOut(tx, ctx.tenantId, member.id);
          if (last && at < last) throw unprocessable('The clock-in is before the last clock-out', [{ path: 'at', message: `must not be before ${last.toISOString()}` }]);
          return createRecorded(tx, ctx, { action: 'shift.clocked_in', targetType: 'shift', insert: () => open(tx, ctx, member.id, roomId, at, now), dto: shiftDto });
        }),
      );
    },

    /** Closes the open shift and opens one in the new room at the same instant. */
    async move(ctx: TenantContext, staffId: string, input: { roomId: string; at?: string }): Promise<ShiftDto> {
      const now = clock.now();
      return withOneOpen(() =>
        db.scoped(forTenant(ctx), async (tx) => {
          const member = await actionable(tx, ctx, staffId);
          const at = instant(ctx, input.at, await databaseNow(tx));
          const roomId = await liveRoom(tx, ctx, input.roomId);
          const current = await repo.findOpen(tx, ctx.tenantId, member.id, true);
          if (!current) throw notIn();
          if (current.roomId === roomId) throw unprocessable('Already in that room', [{ path: 'roomId', message: 'is the room the shift is already in' }]);
          if (at < current.clockInAt) throw unprocessable('The move is before the clock-in', [{ path: 'at', message: `must not be before ${current.clockInAt.toISOString()}` }]);
          const closed = await repo.close(tx, ctx.tenantId, current.id, { clockOutAt: at, clockedOutByMembershipId: ctx.membershipId }, now);
          if (!closed) throw notIn();
          const row = await open(tx, ctx, member.id, roomId, at, now);
          // The audit row shows the closed shift beside the new one: both carry the same instant.
          await audit(tx, ctx, 'shift.moved', row, closed);
          return shiftDto(row);
        }),
      );
    },

    async clockOut(ctx: TenantContext, staffId: string, input: { at?: string }): Promise<ShiftDto> {
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const member = await actionable(tx, ctx, staffId);
        const dbNow = await databaseNow(tx);
        const at = instant(ctx, input.at, dbNow);
        const current = await repo.findOpen(tx, ctx.tenantId, member.id, true);
        if (!current) throw notIn();
        if (at < current.clockInAt) {
          // A stranded shift: its clock-in lies in the future (written under a clock that ran ahead), so no allowed time
          // can close it. An owner or admin closes it at `at`, pulling the impossible clock-in back to the same instant
          // (0 minutes; the audit keeps both times). Anyone else, or an ordinary shift, gets the 422.
          if (actsOnAnyone(ctx) && isTooFarAhead(current.clockInAt, dbNow)) {
            const row = await repo.closeStranded(tx, ctx.tenantId, current.id, { clockInAt: at, clockOutAt: at, date: await centreDate(tx, ctx.tenantId, at), clockedOutByMembershipId: ctx.membershipId }, now);
            if (!row) throw notIn();
            await audit(tx, ctx, 'shift.stranded_closed', row, current);
            return shiftDto(row);
          }
          throw unprocessable('The clock-out is before the clock-in', [{ path: 'at', message: `must not be before ${current.clockInAt.toISOString()}` }]);
        }
        const row = await repo.close(tx, ctx.tenantId, current.id, { clockOutAt: at, clockedOutByMembershipId: ctx.membershipId }, now);
        if (!row) throw notIn();
        await audit(tx, ctx, 'shift.clocked_out', row, current);
        return shiftDto(row);
      });
    },

    /**
     * Minutes of ended shifts per staff member and local date (a shift over midnight split there; see timecards.ts).
     * Owners and admins read everyone's; a teacher only their own staff record's (naming another → 403).
     */
    async timecards(ctx: TenantContext, q: { from?: string; to?: string; staffId?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const tz = await centreTimeZone(tx, ctx.tenantId);
        const to = q.to ?? (q.from ? addDays(q.from, 6) : localDate(clock.now(), tz));
        const from = q.from ?? addDays(to, -6);
        checkRange(from, to, MAX_TIMECARD_DAYS);
        let staffIds: string[] | null = null;
        if (q.staffId !== undefined) {
          if (!isUuid(q.staffId) || !(await staff.get(tx, ctx.tenantId, q.staffId.toLowerCase()))) throw notFound('Staff member');
          staffIds = [q.staffId.toLowerCase()];
        }
        if (!actsOnAnyone(ctx)) {
          const own = await repo.staffIdsByEmail(tx, ctx.tenantId, ctx.email);
          if (staffIds && !own.includes(staffIds[0]!)) throw forbidden('A teacher reads their own timecard only');
          staffIds ??= own;
        }
        const rows = await repo.endedOverlapping(tx, ctx.tenantId, staffIds, startOfLocalDay(from, tz), startOfLocalDay(addDays(to, 1), tz));
        const cards = new Map<string, { staffId: string; date: string; ms: number; shifts: ShiftDto[] }>();
        for (const s of rows) {
          for (const [date, ms] of splitAtLocalMidnight({ start: s.clockInAt, end: s.clockOutAt! }, tz)) {
            if (date < from || date > to) continue;
            const key = `${s.staffId} ${date}`;
            const card = cards.get(key) ?? { staffId: s.staffId, date, ms: 0, shifts: [] };
            card.ms += ms;
            card.shifts.push(shiftDto(s));
            cards.set(key, card);
          }
        }
        const items = [...cards.values()]
          .sort((a, b) => (a.date === b.date ? a.staffId.localeCompare(b.staffId) : a.date.localeCompare(b.date)))
          .map((c) => ({ staffId: c.staffId, date: c.date, minutes: wholeMinutes(c.ms), shifts: c.shifts }));
        return { from, to, items };
      });
    },
  };
}
export type ShiftsService = ReturnType<typeof createShiftsService>;
