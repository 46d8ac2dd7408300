import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { attendanceRollups, files, idempotencyKeys, messages, sessions, taskRuns, tenants, users } from '../../src/models/index.js';
import { computeRoomDay } from '../../src/modules/attendance/rollup.task.js';
import { newTenant, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { seedRoom, seedStudent, seedVisit } from '../api/jobs.helpers.js';

describe('scheduled tasks', () => {
  const srv = useServer();

  const scoped = <T>(tenantId: string | null, fn: Parameters<TestServer['container']['db']['scoped']>[1]) => srv.container.db.scoped({ tenantId }, fn) as Promise<T>;

  it('computeRoomDay: distinct children, minutes to check-out or day end, peak, ratio breaches at check-in', () => {
    const d = (t: string) => new Date(`2025-03-03T${t}:00Z`);
    const end = new Date('2025-03-04T00:00:00Z');
    const v = (studentId: string, i: string, o: string | null) => ({ studentId, roomId: 'r', checkInAt: d(i), checkOutAt: o ? d(o) : null });
    const r = computeRoomDay([v('a', '08:00', '12:00'), v('b', '09:00', '10:00'), v('c', '09:30', null), v('a', '13:00', '14:00')], end, 1, 2);
    expect(r).toEqual({ childrenPresent: 3, totalMinutes: 240 + 60 + 870 + 60, peakCount: 3, ratioBreaches: 1 });
    // A hand-over at the same minute is not two children at once.
    expect(computeRoomDay([v('a', '08:00', '09:00'), v('b', '09:00', '10:00')], end, 1, 1).ratioBreaches).toBe(0);
    expect(computeRoomDay([v('a', '08:00', '09:00')], end, 0, 4).ratioBreaches).toBe(1);
  });

  it('attendance rollup: one row per room and ended local day; running it again changes nothing', async () => {
    const { tenant } = await newTenant(srv, { timezone: 'Europe/Paris' });
    const room = await seedRoom(srv, tenant.id, { ageGroup: 'infant', ratio: 2, staff: 1 });
    const empty = await seedRoom(srv, tenant.id, { name: 'Empty' });
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((n) => seedStudent(srv, tenant.id, { firstName: n, lastName: 'Kid', roomId: room })));
    // 2019-06-12 in Paris is UTC+2: local 08:00 = 06:00Z. The day ends at 2019-06-12T22:00Z. (Dates far from other
    // tests': the suite may share one database, and a rollup run elsewhere covers every centre.)
    await seedVisit(srv, tenant.id, { studentId: a!, roomId: room, date: '2019-06-12', in: '2019-06-12T06:00:00Z', out: '2019-06-12T10:00:00Z' });
    await seedVisit(srv, tenant.id, { studentId: b!, roomId: room, date: '2019-06-12', in: '2019-06-12T07:00:00Z', out: '2019-06-12T08:00:00Z' });
    await seedVisit(srv, tenant.id, { studentId: c!, roomId: room, date: '2019-06-12', in: '2019-06-12T07:30:00Z', out: null });

    const ofDay = () =>
      scoped<unknown[]>(tenant.id, (tx) => tx.select().from(attendanceRollups).where(and(eq(attendanceRollups.tenantId, tenant.id), eq(attendanceRollups.date, '2019-06-12'))));
    // 23:30 in Paris: the day has not ended yet.
    await srv.container.workers.runTask('attendance.rollup', new Date('2019-06-12T21:30:00Z'));
    expect(await ofDay()).toHaveLength(0);
    // 00:30 and 01:30 the next day: rolled up once.
    await srv.container.workers.runTask('attendance.rollup', new Date('2019-06-12T22:30:00Z'));
    await srv.container.workers.runTask('attendance.rollup', new Date('2019-06-12T23:30:00Z'));
    const rows = await scoped<(typeof attendanceRollups.$inferSelect)[]>(tenant.id, (tx) =>
      tx.select().from(attendanceRollups).where(and(eq(attendanceRollups.tenantId, tenant.id), eq(attendanceRollups.date, '2019-06-12'))),
    );
    expect(rows).toHaveLength(2);
    const r = rows.find((x) => x.roomId === room)!;
    expect(r).toMatchObject({ childrenPresent: 3, totalMinutes: 240 + 60 + 870, peakCount: 3, ratioBreaches: 1, version: 1 });
    expect(rows.find((x) => x.roomId === empty)).toMatchObject({ childrenPresent: 0, totalMinutes: 0 });
    const runs = await scoped<{ n: number }[]>(tenant.id, (tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(taskRuns).where(and(eq(taskRuns.tenantId, tenant.id), eq(taskRuns.task, 'attendance.rollup'), gte(taskRuns.day, '2019-06-05'), lte(taskRuns.day, '2019-06-12'))),
    );
    expect(runs[0]!.n).toBe(8); // 06-05…06-11 by the first run, 06-12 by the second; each once
    const later = await scoped<unknown[]>(tenant.id, (tx) => tx.select().from(attendanceRollups).where(and(eq(attendanceRollups.tenantId, tenant.id), eq(attendanceRollups.date, '2019-06-13'))));
    expect(later).toHaveLength(0);
  });

  it('end-of-day reminder: after closing time, one staff-only message per room with children still in; once per day', async () => {
    const { tenant } = await newTenant(srv, { timezone: 'UTC' });
    const room = await seedRoom(srv, tenant.id);
    const ada = await seedStudent(srv, tenant.id, { firstName: 'Ada', lastName: 'L', roomId: room });
    const bob = await seedStudent(srv, tenant.id, { firstName: 'Bob', lastName: 'K', roomId: room });
    await seedVisit(srv, tenant.id, { studentId: ada, roomId: room, date: '2025-03-05', in: '2025-03-05T08:00:00Z' });
    await seedVisit(srv, tenant.id, { studentId: bob, roomId: room, date: '2025-03-05', in: '2025-03-05T08:00:00Z', out: '2025-03-05T16:00:00Z' });
    const list = () => scoped<(typeof messages.$inferSelect)[]>(tenant.id, (tx) => tx.select().from(messages).where(eq(messages.tenantId, tenant.id)));

    await srv.container.workers.runTask('attendance.reminders', new Date('2025-03-05T17:45:00Z'));
    expect(await list()).toHaveLength(0); // before 18:00
    await srv.container.workers.runTask('attendance.reminders', new Date('2025-03-05T18:00:00Z'));
    await srv.container.workers.runTask('attendance.reminders', new Date('2025-03-05T18:15:00Z'));
    const msgs = await list();
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ audienceType: 'room_staff', audienceId: room, authorMembershipId: '00000000-0000-0000-0000-000000000000' });
    expect(msgs[0]!.body).toContain('Ada L');
    expect(msgs[0]!.body).not.toContain('Bob');
  });

  it('cleanup: expired idempotency keys (centre and user-level), expired sessions, abandoned uploads with their objects', async () => {
    const { tenant, owner } = await newTenant(srv);
    const now = new Date();
    const past = new Date(now.getTime() - 3600_000);
    const userId = newId();
    await scoped(null, (tx) => tx.insert(users).values({ id: userId, supabaseId: `sb-${userId}`, email: `${userId}@example.test` }));
    const expiredSession = newId();
    await scoped(null, (tx) => tx.insert(sessions).values({ id: expiredSession, userId, idleExpiresAt: past, absoluteExpiresAt: past }));
    const key = (tenantId: string | null, expiresAt: Date) => ({ tenantId, userId, key: newId(), method: 'POST', path: '/x', fingerprint: 'f', createdAt: past, expiresAt });
    await scoped(tenant.id, (tx) => tx.insert(idempotencyKeys).values([key(tenant.id, past), key(tenant.id, new Date(now.getTime() + 3600_000))]));
    await srv.container.db.scoped({ tenantId: null, userId }, (tx) => tx.insert(idempotencyKeys).values(key(null, past)));

    const p = await owner.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: 5, fileName: 'a.csv' });
    const up = await fetch(p.body.upload.url, { method: p.body.upload.method, headers: p.body.upload.headers, body: 'a,b\n1' });
    expect(up.status).toBeLessThan(300);
    const fresh = await owner.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: 5, fileName: 'b.csv' });
    const storageKey = `tenants/${tenant.id}/files/${p.body.fileId}`;
    expect(await srv.container.storage!.head(storageKey)).not.toBeNull();
    await scoped(tenant.id, (tx) => tx.update(files).set({ createdAt: new Date(now.getTime() - 25 * 3600_000) }).where(eq(files.id, p.body.fileId)));

    await srv.container.workers.runTask('cleanup', now);
    const keys = await scoped<{ tenantId: string | null }[]>(tenant.id, (tx) => tx.select({ tenantId: idempotencyKeys.tenantId }).from(idempotencyKeys).where(eq(idempotencyKeys.userId, userId)));
    expect(keys).toEqual([{ tenantId: tenant.id }]); // only the unexpired one
    // User-level keys (tenant_id null): the expired one is gone too (migrations/0002 lets the system scope see them).
    const userKeys = await srv.container.db.scoped({ tenantId: null, userId }, (tx) => tx.select({ id: idempotencyKeys.id }).from(idempotencyKeys).where(eq(idempotencyKeys.userId, userId)));
    expect(userKeys).toHaveLength(0);
    expect(await scoped<unknown[]>(null, (tx) => tx.select().from(sessions).where(eq(sessions.id, expiredSession)))).toHaveLength(0);
    const left = await scoped<{ id: string }[]>(tenant.id, (tx) => tx.select({ id: files.id }).from(files).where(eq(files.tenantId, tenant.id)));
    expect(left.map((f) => f.id)).toEqual([fresh.body.fileId]);
    expect(await srv.container.storage!.head(storageKey)).toBeNull();
    // The tenant directory is the only thing the system scope can read.
    expect(await scoped<unknown[]>(null, (tx) => tx.select().from(tenants))).toHaveLength(0);
  });
});
