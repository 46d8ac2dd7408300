import { describe, expect, it } from 'vitest';
import { splitAtLocalMidnight } from '../../src/modules/staff-time/timecards.js';
import { auditActions, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';

const NIL = '00000000-0000-7000-8000-000000000000';
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('splitting a shift at local midnight', () => {
  it('gives each local date its own minutes, in the centre’s zone', () => {
    const m = splitAtLocalMidnight({ start: new Date('2026-03-10T02:00:00Z'), end: new Date('2026-03-10T10:00:00Z') }, 'America/New_York');
    expect([...m].map(([d, ms]) => [d, ms / 60000])).toEqual([
      ['2026-03-09', 120],
      ['2026-03-10', 360],
    ]);
    expect([...splitAtLocalMidnight({ start: new Date('2026-03-10T02:00:00Z'), end: new Date('2026-03-10T10:00:00Z') }, 'UTC')]).toEqual([['2026-03-10', 8 * 3_600_000]]);
  });
  it('a night over a DST change counts the real elapsed time', () => {
    // 2026-03-08 02:00 local jumps to 03:00 in New York: 22:00 → 06:00 is 7 real hours.
    const m = splitAtLocalMidnight({ start: new Date('2026-03-08T03:00:00Z'), end: new Date('2026-03-08T10:00:00Z') }, 'America/New_York');
    expect([...m].map(([d, ms]) => [d, ms / 60000])).toEqual([
      ['2026-03-07', 120],
      ['2026-03-08', 300],
    ]);
  });
});

describe('staff time over HTTP', () => {
  const srv = useServer();

  it('clock-in, move and clock-out drive the roster; one open shift; a move closes and opens at the same instant', async () => {
    const { owner, fx } = await newCentre(srv);
    const a = await fx.room({ ageGroup: 'infant' });
    const b = await fx.room();
    const s = await fx.staff([a.id]);
    const kid = await fx.student({ roomId: a.id });
    expect((await owner.post('/attendance/check-in', { studentId: kid.id })).status).toBe(201);
    expect((await owner.get(`/rooms/${a.id}/roster`)).body).toMatchObject({ staffOnDuty: 0, ratio: { required: 1, actual: 0, compliant: false } });

    const inAt = hoursAgo(2);
    const cin = await owner.post(`/staff/${s.id}/clock-in`, { roomId: a.id, at: inAt });
    expect(cin.status, cin.text).toBe(201);
    expect(cin.body).toMatchObject({ staffId: s.id, roomId: a.id, clockInAt: inAt, clockOutAt: null, version: 1 });
    expect(cin.body.date).toBe(inAt.slice(0, 10));
    expect(cin.headers.get('etag')).toBe('"1"');
    expect((await owner.get(`/rooms/${a.id}/roster`)).body).toMatchObject({ staffOnDuty: 1, staff: [expect.objectContaining({ id: s.id })], ratio: { actual: 1, compliant: true } });

    const again = await owner.post(`/staff/${s.id}/clock-in`, { roomId: b.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');

    expect((await owner.post(`/staff/${s.id}/move`, { roomId: a.id })).status).toBe(422);
    const moveAt = hoursAgo(1);
    const mv = await owner.post(`/staff/${s.id}/move`, { roomId: b.id, at: moveAt });
    expect(mv.status, mv.text).toBe(201);
    expect(mv.body).toMatchObject({ roomId: b.id, clockOutAt: null });
    expect(mv.body.id).not.toBe(cin.body.id);
    expect((await owner.get(`/rooms/${a.id}/roster`)).body.staffOnDuty).toBe(0);
    expect((await owner.get(`/rooms/${b.id}/roster`)).body.staffOnDuty).toBe(1);
    const moved = (await auditActions(owner, 'shift.moved'))[0];
    expect(moved.before).toMatchObject({ id: cin.body.id, clockOutAt: mv.body.clockInAt });

    const out = await owner.post(`/staff/${s.id}/clock-out`, {});
    expect(out.status, out.text).toBe(200);
    expect(out.body).toMatchObject({ id: mv.body.id, clockOutAt: expect.any(String), version: 2 });
    expect((await owner.get(`/rooms/${b.id}/roster`)).body.staffOnDuty).toBe(0);
    for (const p of ['clock-out', 'move']) {
      const r = await owner.post(`/staff/${s.id}/${p}`, p === 'move' ? { roomId: a.id } : {});
      expect(r.status).toBe(409);
    }
    expect((await auditActions(owner, 'shift.clocked_in')).map((x) => x.targetId)).toContain(cin.body.id);
    expect((await auditActions(owner, 'shift.clocked_out')).map((x) => x.targetId)).toContain(mv.body.id);
  });

  it('refuses bad input: future times, unknown or archived rooms, archived staff, times before the last clock-out', async () => {
    const { owner, fx } = await newCentre(srv);
    const room = await fx.room();
    const s = await fx.staff([]);
    const future = new Date(Date.now() + 10 * 60_000).toISOString();
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: room.id, at: future })).status).toBe(422);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: room.id, at: new Date(Date.now() + 60_000).toISOString() })).status).toBe(201);
    expect((await owner.post(`/staff/${s.id}/clock-out`, { at: hoursAgo(1) })).status).toBe(422);
    expect((await owner.post(`/staff/${s.id}/clock-out`, { at: new Date(Date.now() + 2 * 60_000).toISOString() })).status).toBe(200);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: room.id, at: hoursAgo(3) })).status).toBe(422);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: NIL })).status).toBe(422);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: 'nope' })).status).toBe(422);
    const gone = await owner.post('/rooms', { name: 'Gone', capacity: 3 });
    expect((await owner.delete(`/rooms/${gone.body.id}`)).status).toBe(204);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: gone.body.id })).status).toBe(422);
    for (const body of [{}, { roomId: room.id, at: 'yesterday' }, { roomId: room.id, extra: 1 }, { roomId: 5 }]) {
      const r = await owner.post(`/staff/${s.id}/clock-in`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    const archived = await fx.staff([], { archived: true });
    expect((await owner.post(`/staff/${archived.id}/clock-in`, { roomId: room.id })).status).toBe(409);
    expect((await owner.post(`/staff/${NIL}/clock-in`, { roomId: room.id })).status).toBe(404);
    expect((await owner.post(`/staff/not-a-uuid/clock-in`, { roomId: room.id })).status).toBe(404);
  });

  it('owners and admins act on anyone; a teacher on their own staff record only (403 otherwise); guardians 403; another centre 404', async () => {
    const { owner, fx } = await newCentre(srv);
    const room = await fx.room();
    const admin = await addMember(srv, owner, ['admin']);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    const mine = await fx.staff([], { email: teacher.email.toUpperCase() });
    const theirs = await fx.staff([]);
    expect((await teacher.agent.post(`/staff/${theirs.id}/clock-in`, { roomId: room.id })).status).toBe(403);
    const own = await teacher.agent.post(`/staff/${mine.id}/clock-in`, { roomId: room.id });
    expect(own.status, own.text).toBe(201);
    expect((await teacher.agent.post(`/staff/${mine.id}/clock-out`, {})).status).toBe(200);
    expect((await admin.agent.post(`/staff/${theirs.id}/clock-in`, { roomId: room.id })).status).toBe(201);
    expect((await teacher.agent.post(`/staff/${theirs.id}/clock-out`, {})).status).toBe(403);
    expect((await guardian.agent.post(`/staff/${theirs.id}/clock-out`, {})).status).toBe(403);
    expect((await srv.agent().post(`/staff/${theirs.id}/clock-out`, {})).status).toBe(401);

    const other = await newCentre(srv);
    const otherRoom = await other.fx.room();
    expect((await other.owner.post(`/staff/${theirs.id}/clock-out`, {})).status).toBe(404);
    expect((await owner.post(`/staff/${theirs.id}/move`, { roomId: otherRoom.id })).status).toBe(422);
    expect((await other.owner.get(`/timecards?staffId=${theirs.id}`)).status).toBe(404);
  });

  it('replays an Idempotency-Key; two clock-ins racing → one 201, one 409', async () => {
    const { owner, fx } = await newCentre(srv);
    const room = await fx.room();
    const s = await fx.staff([]);
    const h = { 'idempotency-key': `ci-${s.id}` };
    const first = await owner.post(`/staff/${s.id}/clock-in`, { roomId: room.id }, h);
    const replay = await owner.post(`/staff/${s.id}/clock-in`, { roomId: room.id }, h);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    expect((await owner.post(`/staff/${s.id}/clock-in`, { roomId: NIL }, h)).status).toBe(422);

    const t = await fx.staff([]);
    const both = await Promise.all([owner.post(`/staff/${t.id}/clock-in`, { roomId: room.id }), owner.post(`/staff/${t.id}/clock-in`, { roomId: room.id })]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('timecards: minutes of ended shifts per local date, split at local midnight; at most 31 days; a teacher sees their own', async () => {
    const { owner, fx } = await newCentre(srv, { timezone: 'America/New_York' });
    const room = await fx.room();
    const teacher = await addMember(srv, owner, ['teacher']);
    const mine = await fx.staff([], { email: teacher.email });
    const other = await fx.staff([]);
    // 22:00 → 06:00 local (EDT, UTC-4): 120 minutes on the 9th, 360 on the 10th.
    expect((await owner.post(`/staff/${mine.id}/clock-in`, { roomId: room.id, at: '2026-03-10T02:00:00Z' })).status).toBe(201);
    expect((await owner.post(`/staff/${mine.id}/clock-out`, { at: '2026-03-10T10:00:00Z' })).status).toBe(200);
    expect((await owner.post(`/staff/${mine.id}/clock-in`, { roomId: room.id, at: '2026-03-10T13:00:00Z' })).status).toBe(201);
    expect((await owner.post(`/staff/${mine.id}/clock-out`, { at: '2026-03-10T14:30:30Z' })).status).toBe(200);
    expect((await owner.post(`/staff/${other.id}/clock-in`, { roomId: room.id, at: '2026-03-09T12:00:00Z' })).status).toBe(201);
    expect((await owner.post(`/staff/${other.id}/clock-out`, { at: '2026-03-09T13:00:00Z' })).status).toBe(200);
    // Still open: not on a timecard.
    expect((await owner.post(`/staff/${other.id}/clock-in`, { roomId: room.id, at: '2026-03-10T12:00:00Z' })).status).toBe(201);

    const all = await owner.get('/timecards?from=2026-03-09&to=2026-03-10');
    expect(all.status, all.text).toBe(200);
    const rows = all.body.items.map((i: any) => [i.staffId, i.date, i.minutes, i.shifts.length]);
    expect(rows).toEqual(
      expect.arrayContaining([
        [mine.id, '2026-03-09', 120, 1],
        [mine.id, '2026-03-10', 360 + 90, 2],
        [other.id, '2026-03-09', 60, 1],
      ]),
    );
    expect(rows).toHaveLength(3);
    expect(all.body.items[0].shifts[0]).toMatchObject({ staffId: expect.any(String), roomId: room.id, clockOutAt: expect.any(String) });
    const onlyTenth = await owner.get(`/timecards?from=2026-03-10&to=2026-03-10&staffId=${mine.id}`);
    expect(onlyTenth.body.items.map((i: any) => [i.date, i.minutes])).toEqual([['2026-03-10', 450]]);

    const t = await teacher.agent.get('/timecards?from=2026-03-09&to=2026-03-10');
    expect(t.status).toBe(200);
    expect(new Set(t.body.items.map((i: any) => i.staffId))).toEqual(new Set([mine.id]));
    expect((await teacher.agent.get(`/timecards?from=2026-03-09&to=2026-03-10&staffId=${other.id}`)).status).toBe(403);
    const admin = await addMember(srv, owner, ['admin']);
    expect((await admin.agent.get(`/timecards?from=2026-03-09&to=2026-03-10&staffId=${other.id}`)).body.items).toHaveLength(1);
    const g = await addMember(srv, owner, ['guardian']);
    expect((await g.agent.get('/timecards')).status).toBe(403);
    expect((await srv.agent().get('/timecards')).status).toBe(401);

    expect((await owner.get('/timecards?from=2026-03-01&to=2026-03-31')).status).toBe(200);
    for (const q of ['from=2026-03-01&to=2026-04-01', 'from=2026-03-10&to=2026-03-09', 'from=2026-02-30', 'to=soon']) {
      const r = await owner.get(`/timecards?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect((await owner.get(`/timecards?staffId=${NIL}`)).status).toBe(404);
  });
});
