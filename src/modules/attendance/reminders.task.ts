import { newId } from '../../core/ids.js';
import { localDate, localTime } from '../../core/time.js';
import { rollupsRepository } from './rollups.repository.js';
import type { ShiftsOnDuty } from '../staff-time/index.js';
import { SYSTEM_AUTHOR, type TaskDeps, type TenantEntry } from '../../kernel/tasks.js';
import { forTenant } from '../../db/db.js';

export const REMINDERS_TASK = 'attendance.reminders';
export const ROOM_STAFF_AUDIENCE = 'room_staff';

/**
 * End-of-day reminder: once the centre's local time is past its closing time, one staff-only message per room listing
 * the children still checked in that day. Once per (tenant, day): the task_runs row is claimed in the same transaction.
 * Given staff time's shifts on duty (the manifest binds them).
 */
export const remindTenant = (shifts: Pick<ShiftsOnDuty, 'openShifts'>) => async (deps: TaskDeps, t: TenantEntry, now: Date) => {
  if (localTime(now, t.timezone) < t.closingTime) return { messages: 0 };
  const day = localDate(now, t.timezone);
  return deps.db.scoped(forTenant(t.id), async (tx) => {
    if (!(await rollupsRepository.claimRun(tx, t.id, REMINDERS_TASK, day))) return { messages: 0 };
    const open = await rollupsRepository.stillCheckedIn(tx, t.id, day);
    const byRoom = new Map<string | null, { children: string[]; staff: string[] }>();
    const entry = (roomId: string | null) => byRoom.get(roomId) ?? byRoom.set(roomId, { children: [], staff: [] }).get(roomId)!;
    for (const r of open) entry(r.roomId).children.push(`${r.firstName} ${r.lastName}`);
    // Staff still clocked in are named too: a forgotten clock-out inflates ratios and timecards alike.
    for (const s of await shifts.openShifts(tx, t.id)) entry(s.roomId).staff.push(`${s.firstName} ${s.lastName}`);
    for (const [roomId, { children, staff }] of byRoom) {
      const parts: string[] = [];
      const n = children.length;
      if (n) parts.push(`${n} ${n === 1 ? 'child is' : 'children are'} still checked in: ${children.join(', ')}`);
      if (staff.length) parts.push(`${staff.length} staff ${staff.length === 1 ? 'is' : 'are'} still clocked in: ${staff.join(', ')}`);
      const body = `Closing time (${t.closingTime}) has passed and ${parts.join('; ')}.`;
      await rollupsRepository.insertMessage(tx, { id: newId(), tenantId: t.id, authorMembershipId: SYSTEM_AUTHOR, audienceType: ROOM_STAFF_AUDIENCE, audienceId: roomId, body });
    }
    return { messages: byRoom.size };
  });
};
