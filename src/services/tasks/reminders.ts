import { newId } from '../../core/ids.js';
import { localDate, localTime } from '../../core/time.js';
import { rollupsRepository } from '../../repositories/rollups.repository.js';
import type { TaskDeps, TenantEntry } from './types.js';
import { forTenant } from '../../repositories/db.js';

export const REMINDERS_TASK = 'attendance.reminders';
/** The author of system messages: no membership has this id. */
export const SYSTEM_AUTHOR = '00000000-0000-0000-0000-000000000000';
export const ROOM_STAFF_AUDIENCE = 'room_staff';

/**
 * End-of-day reminder: once the centre's local time is past its closing time, one staff-only message per room listing
 * the children still checked in that day. Once per (tenant, day): the task_runs row is claimed in the same transaction.
 */
export async function remindTenant(deps: TaskDeps, t: TenantEntry, now: Date) {
  if (localTime(now, t.timezone) < t.closingTime) return { messages: 0 };
  const day = localDate(now, t.timezone);
  return deps.db.scoped(forTenant(t.id), async (tx) => {
    if (!(await rollupsRepository.claimRun(tx, t.id, REMINDERS_TASK, day))) return { messages: 0 };
    const open = await rollupsRepository.stillCheckedIn(tx, t.id, day);
    const byRoom = new Map<string | null, string[]>();
    for (const r of open) {
      const list = byRoom.get(r.roomId) ?? [];
      list.push(`${r.firstName} ${r.lastName}`);
      byRoom.set(r.roomId, list);
    }
    for (const [roomId, names] of byRoom) {
      const n = names.length;
      const body = `Closing time (${t.closingTime}) has passed and ${n} ${n === 1 ? 'child is' : 'children are'} still checked in: ${names.join(', ')}.`;
      await rollupsRepository.insertMessage(tx, { id: newId(), tenantId: t.id, authorMembershipId: SYSTEM_AUTHOR, audienceType: ROOM_STAFF_AUDIENCE, audienceId: roomId, body });
    }
    return { messages: byRoom.size };
  });
}
