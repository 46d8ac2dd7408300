import { effectiveRatio } from '../../core/ratios.js';
import { addDays, localDate, startOfLocalDay } from '../../core/time.js';
import { rollupsRepository } from './rollups.repository.js';
import type { ShiftsOnDuty } from '../staff-time/index.js';
import type { TenantEntry, TaskDeps } from '../../kernel/tasks.js';
import { forTenant } from '../../db/db.js';

export const ROLLUP_TASK = 'attendance.rollup';
const LOOK_BACK_DAYS = 7;

interface Visit {
  studentId: string;
  roomId: string | null;
  checkInAt: Date;
  checkOutAt: Date | null;
}

/**
 * Figures for one room and local day. Minutes count until check-out, or until the day's end for a child never checked
 * out. Peak = most children present at once. A ratio breach is a check-in after which the room holds more children than
 * its staff may look after (present > staff × children per staff).
 */
export function computeRoomDay(visits: Visit[], dayEnd: Date, staffCount: number, childrenPerStaff: number) {
  const events: { t: number; d: number }[] = [];
  let totalMs = 0;
  for (const v of visits) {
    const out = v.checkOutAt && v.checkOutAt < dayEnd ? v.checkOutAt : dayEnd;
    totalMs += Math.max(0, out.getTime() - v.checkInAt.getTime());
    events.push({ t: v.checkInAt.getTime(), d: +1 }, { t: out.getTime(), d: -1 });
  }
  // At the same instant a departure comes before an arrival (a hand-over is not two children at once).
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let present = 0;
  let peak = 0;
  let breaches = 0;
  const capacity = staffCount * childrenPerStaff;
  for (const e of events) {
    present += e.d;
    if (e.d > 0) {
      peak = Math.max(peak, present);
      if (present > capacity) breaches++;
    }
  }
  return {
    childrenPresent: new Set(visits.map((v) => v.studentId)).size,
    totalMinutes: Math.round(totalMs / 60_000),
    peakCount: peak,
    ratioBreaches: breaches,
  };
}

interface Stint {
  roomId: string;
  clockInAt: Date;
  clockOutAt: Date | null;
}

/**
 * Staff time in one room on one local day [dayStart, dayEnd): the staff-minutes clocked in (shifts clipped to the day;
 * one still open counts to the day's end), and the minutes the room held more children than its clocked-in staff may
 * look after (children > staff × children per staff).
 */
export function computeStaffTime(visits: Visit[], shifts: Stint[], dayStart: Date, dayEnd: Date, childrenPerStaff: number) {
  const clip = (from: Date, to: Date | null) => {
    const a = Math.max(from.getTime(), dayStart.getTime());
    const b = Math.min((to ?? dayEnd).getTime(), dayEnd.getTime());
    return b > a ? [a, b] : null;
  };
  const events: { t: number; children: number; staff: number }[] = [];
  let staffMs = 0;
  for (const s of shifts) {
    const iv = clip(s.clockInAt, s.clockOutAt);
    if (!iv) continue;
    staffMs += iv[1]! - iv[0]!;
    events.push({ t: iv[0]!, children: 0, staff: +1 }, { t: iv[1]!, children: 0, staff: -1 });
  }
  for (const v of visits) {
    const iv = clip(v.checkInAt, v.checkOutAt);
    if (iv) events.push({ t: iv[0]!, children: +1, staff: 0 }, { t: iv[1]!, children: -1, staff: 0 });
  }
  events.sort((a, b) => a.t - b.t);
  let children = 0;
  let staff = 0;
  let outMs = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    children += e.children;
    staff += e.staff;
    // Everything at one instant applies before the stretch that follows is judged.
    const next = events[i + 1];
    if (next && next.t > e.t && children > staff * childrenPerStaff) outMs += next.t - e.t;
  }
  return { staffMinutes: Math.round(staffMs / 60_000), outOfRatioMinutes: Math.round(outMs / 60_000) };
}

/**
 * Rolls up every local day of the last week that has ended and is not done yet; each day in one transaction. Given
 * staff time's shifts on duty (the manifest binds them).
 */
export const rollupTenant = (shifts: Pick<ShiftsOnDuty, 'overlapping'>) => async (deps: TaskDeps, t: TenantEntry, now: Date) => {
  const today = localDate(now, t.timezone);
  const first = addDays(today, -LOOK_BACK_DAYS);
  const last = addDays(today, -1);
  const { done, hasRooms } = await deps.db.scoped(forTenant(t.id), async (tx) => ({
    done: await rollupsRepository.doneDays(tx, t.id, ROLLUP_TASK, first, last),
    hasRooms: (await rollupsRepository.roomsWithStaff(tx, t.id)).length > 0,
  }));
  // A centre without rooms has nothing to roll up (and nothing to mark: doing nothing twice is idempotent).
  if (!hasRooms) return { days: 0 };
  let days = 0;
  for (let day = first; day <= last; day = addDays(day, 1)) {
    if (done.has(day)) continue;
    const did = await deps.db.scoped(forTenant(t.id), async (tx) => {
      if (!(await rollupsRepository.claimRun(tx, t.id, ROLLUP_TASK, day))) return false;
      const dayStart = startOfLocalDay(day, t.timezone);
      const dayEnd = startOfLocalDay(addDays(day, 1), t.timezone);
      const roomRows = await rollupsRepository.roomsWithStaff(tx, t.id);
      const visits = await rollupsRepository.attendanceOfDay(tx, t.id, day);
      const stints = await shifts.overlapping(tx, t.id, dayStart, dayEnd);
      for (const room of roomRows) {
        const inRoom = visits.filter((v) => v.roomId === room.id);
        if (room.archivedAt && !inRoom.length) continue;
        const perStaff = effectiveRatio(room).childrenPerStaff;
        const figures = computeRoomDay(inRoom, dayEnd, Number(room.staffCount), perStaff);
        const staffTime = computeStaffTime(inRoom, stints.filter((s) => s.roomId === room.id), dayStart, dayEnd, perStaff);
        await rollupsRepository.upsertRollup(tx, { tenantId: t.id, roomId: room.id, date: day, ...figures, ...staffTime }, now);
      }
      return true;
    });
    if (did) days++;
  }
  return { days };
};
