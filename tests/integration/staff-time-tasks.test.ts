import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { attendance, attendanceRollups, messages, shifts } from '../../src/models/index.js';
import { computeStaffTime } from '../../src/modules/attendance/rollup.task.js';
import { newCentre, useServer } from '../factories/index.js';

const at = (hhmm: string) => new Date(`2019-07-02T${hhmm}:00Z`);

describe('staff time in the daily rollup and the end-of-day reminder', () => {
  it('computeStaffTime: staff-minutes clipped to the day; minutes with more children than clocked-in staff may look after', () => {
    const dayStart = at('00:00');
    const dayEnd = new Date('2019-07-03T00:00:00Z');
    const visits = [
      { studentId: 'a', roomId: 'r', checkInAt: at('08:00'), checkOutAt: at('12:00') },
      { studentId: 'b', roomId: 'r', checkInAt: at('08:00'), checkOutAt: at('10:00') },
      { studentId: 'c', roomId: 'r', checkInAt: at('09:00'), checkOutAt: at('11:00') },
    ];
    // One adult from the previous evening until 09:30 (counted from midnight), another 10:00–20:00.
    const stints = [
      { roomId: 'r', clockInAt: new Date('2019-07-01T22:00:00Z'), clockOutAt: at('09:30') },
      { roomId: 'r', clockInAt: at('10:00'), clockOutAt: at('20:00') },
    ];
    // 1 adult : 2 children. 08:00–09:00 two children, one adult: fine. 09:00–09:30 three: out. 09:30–10:00 three, nobody: out.
    // 10:00–11:00 two (b left at 10:00), one adult: fine. Then fine.
    expect(computeStaffTime(visits, stints, dayStart, dayEnd, 2)).toEqual({ staffMinutes: 9 * 60 + 30 + 600, outOfRatioMinutes: 60 });
    expect(computeStaffTime(visits, [], dayStart, dayEnd, 2)).toEqual({ staffMinutes: 0, outOfRatioMinutes: 240 });
    expect(computeStaffTime([], [], dayStart, dayEnd, 2)).toEqual({ staffMinutes: 0, outOfRatioMinutes: 0 });
  });

  const srv = useServer();

  it('the rollup records staff-minutes and out-of-ratio minutes per room; the reminder names staff still clocked in', async () => {
    const { tenant, fx } = await newCentre(srv);
    const room = await fx.room({ ratio: 1 });
    const kid1 = await fx.student({ roomId: room.id });
    const kid2 = await fx.student({ roomId: room.id });
    const s = await fx.staff([room.id]);
    await srv.container.db.scoped({ tenantId: tenant.id }, async (tx) => {
      await tx.insert(attendance).values([
        { id: newId(), tenantId: tenant.id, studentId: kid1.id, roomId: room.id, date: '2019-07-02', checkInAt: at('08:00'), checkOutAt: at('12:00') },
        { id: newId(), tenantId: tenant.id, studentId: kid2.id, roomId: room.id, date: '2019-07-02', checkInAt: at('09:00'), checkOutAt: at('10:00') },
      ]);
      await tx.insert(shifts).values({ id: newId(), tenantId: tenant.id, staffId: s.id, roomId: room.id, date: '2019-07-02', clockInAt: at('07:30'), clockOutAt: at('12:30') });
    });
    await srv.container.workers.runTask('attendance.rollup', new Date('2019-07-03T01:00:00Z'));
    const [row] = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) =>
      tx.select().from(attendanceRollups).where(and(eq(attendanceRollups.tenantId, tenant.id), eq(attendanceRollups.roomId, room.id), eq(attendanceRollups.date, '2019-07-02'))),
    );
    expect(row).toMatchObject({ staffMinutes: 300, outOfRatioMinutes: 60, childrenPresent: 2 });

    const other = await newCentre(srv);
    const r2 = await other.fx.room();
    const kid = await other.fx.student({ roomId: r2.id, firstName: 'Ada', lastName: 'L' });
    await other.fx.staff([r2.id], { onDuty: r2.id, since: new Date('2025-04-01T08:00:00Z') });
    const quiet = await other.fx.room();
    await other.fx.staff([], { onDuty: quiet.id, since: new Date('2025-04-01T09:00:00Z') });
    await srv.container.db.scoped({ tenantId: other.tenant.id }, (tx) =>
      tx.insert(attendance).values({ id: newId(), tenantId: other.tenant.id, studentId: kid.id, roomId: r2.id, date: '2025-04-01', checkInAt: new Date('2025-04-01T08:00:00Z') }),
    );
    await srv.container.workers.runTask('attendance.reminders', new Date('2025-04-01T18:30:00Z'));
    const msgs = await srv.container.db.scoped({ tenantId: other.tenant.id }, (tx) => tx.select().from(messages).where(eq(messages.tenantId, other.tenant.id)));
    const inRoom = msgs.find((m) => m.audienceId === r2.id)!;
    expect(inRoom.body).toMatch(/1 child is still checked in: Ada L; 1 staff is still clocked in: Staff\d+ Test\./);
    const inQuiet = msgs.find((m) => m.audienceId === quiet.id)!;
    expect(inQuiet.body).toMatch(/1 staff is still clocked in: Staff\d+ Test\.$/);
    expect(inQuiet.audienceType).toBe('room_staff');
  });
});
