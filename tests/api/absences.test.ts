/** Absences (CONTRACT §5 Attendance): one per child per local day, guardians for their own children today or later. */
import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/time.js';
import { auditActions, mkGuardian, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';
import type { Agent } from '../helpers/http.js';

const today = () => new Date().toISOString().slice(0, 10); // the test centres are in UTC

async function family(srv: any, owner: Agent) {
  const room = await mkRoom(owner);
  const kid = await mkStudent(owner, { roomId: room.id, firstName: 'Own' });
  const stranger = await mkStudent(owner, { roomId: room.id, firstName: 'Other' });
  const g = await addMember(srv, owner, ['guardian']);
  const rec = await mkGuardian(owner, { email: g.email });
  await owner.put(`/students/${kid.id}/guardians/${rec.id}`, { relationship: 'parent', authorizedPickup: true });
  return { room, kid, stranger, guardian: g.agent, guardianMembershipId: g.membershipId };
}

describe('absences', () => {
  const srv = useServer();

  it('staff record any day; one per child per day (409); never on a day with attendance (409)', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: room.id });
    const past = addDays(today(), -3);
    const r = await owner.post('/absences', { studentId: kid.id, date: past, reason: 'sick', note: 'Fever' });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ studentId: kid.id, date: past, reason: 'sick', note: 'Fever', reportedByMembershipId: expect.any(String), version: 1 });
    expect(r.headers.get('etag')).toBe('"1"');
    const again = await owner.post('/absences', { studentId: kid.id, date: past, reason: 'other' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    await owner.post('/attendance/check-in', { studentId: kid.id });
    const here = await owner.post('/absences', { studentId: kid.id, date: today(), reason: 'sick' });
    expect(here.status).toBe(409);
    expect((await auditActions(owner, 'absence.reported'))[0]).toMatchObject({ targetId: r.body.id });
  });

  it('bad input → 400; an unknown or another centre’s child → 404', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const kid = await mkStudent(owner);
    for (const body of [{ studentId: kid.id, date: '2026-02-30', reason: 'sick' }, { studentId: kid.id, date: today(), reason: 'bored' }, { studentId: kid.id, reason: 'sick' }, { studentId: kid.id, date: today(), reason: 'sick', tenantId: 'x' }])
      expect((await owner.post('/absences', body)).status).toBe(400);
    expect((await other.owner.post('/absences', { studentId: kid.id, date: today(), reason: 'sick' })).status).toBe(404);
    expect((await owner.post('/absences', { studentId: 'nope', date: today(), reason: 'sick' })).status).toBe(404);
  });

  it('a check-in removes that day’s absence and audits it', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: room.id });
    const abs = await owner.post('/absences', { studentId: kid.id, date: today(), reason: 'appointment' });
    expect(abs.status).toBe(201);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.absent).toEqual([expect.objectContaining({ studentId: kid.id, reason: 'appointment' })]);
    expect((await owner.post('/attendance/check-in', { studentId: kid.id })).status).toBe(201);
    expect((await owner.get(`/absences?studentId=${kid.id}`)).body.items).toEqual([]);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.absent).toEqual([]);
    const audit = await auditActions(owner, 'absence.removed_by_check_in');
    expect(audit[0]).toMatchObject({ targetId: abs.body.id, before: expect.objectContaining({ reason: 'appointment' }) });
  });

  it('a guardian: own children only (404 otherwise), today or later (422), withdraws only what they reported (403)', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(srv, owner);
    expect((await f.guardian.post('/absences', { studentId: f.stranger.id, date: today(), reason: 'sick' })).status).toBe(404);
    const past = await f.guardian.post('/absences', { studentId: f.kid.id, date: addDays(today(), -1), reason: 'sick' });
    expect(past.status).toBe(422);
    expect(past.body.error.code).toBe('UNPROCESSABLE');
    const mine = await f.guardian.post('/absences', { studentId: f.kid.id, date: addDays(today(), 2), reason: 'vacation' });
    expect(mine.status, mine.text).toBe(201);
    expect(mine.body.reportedByMembershipId).toBe(f.guardianMembershipId);
    const staffs = await owner.post('/absences', { studentId: f.kid.id, date: addDays(today(), 3), reason: 'vacation' });
    const strangers = await owner.post('/absences', { studentId: f.stranger.id, date: today(), reason: 'family' });
    // The list: only their own child's.
    const list = await f.guardian.get('/absences');
    expect(list.body.items.map((a: any) => a.id).sort()).toEqual([mine.body.id, staffs.body.id].sort());
    // The roster: only their own child in `absent`.
    const roster = await f.guardian.get(`/rooms/${f.room.id}/roster`);
    expect(roster.body.absent).toEqual([]);
    expect((await owner.get(`/rooms/${f.room.id}/roster`)).body.absent.map((a: any) => a.studentId)).toEqual([f.stranger.id]);
    expect((await f.guardian.delete(`/absences/${strangers.body.id}`)).status).toBe(404);
    expect((await f.guardian.delete(`/absences/${staffs.body.id}`)).status).toBe(403);
    expect((await f.guardian.delete(`/absences/${mine.body.id}`, { 'if-match': '"7"' })).status).toBe(412);
    expect((await f.guardian.delete(`/absences/${mine.body.id}`, { 'if-match': '"1"' })).status).toBe(204);
    expect((await f.guardian.delete(`/absences/${mine.body.id}`)).status).toBe(404);
    expect((await owner.delete(`/absences/${staffs.body.id}`)).status).toBe(204);
    expect((await auditActions(owner, 'absence.removed')).map((a) => a.targetId).sort()).toEqual([mine.body.id, staffs.body.id].sort());
  });

  it('lists by range, child and room, paginated; another centre sees none; replays answer the first', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const r1 = await mkRoom(owner);
    const r2 = await mkRoom(owner);
    const k1 = await mkStudent(owner, { roomId: r1.id });
    const k2 = await mkStudent(owner, { roomId: r2.id });
    for (let d = 0; d < 3; d++) {
      await owner.post('/absences', { studentId: k1.id, date: addDays('2026-01-10', d), reason: 'vacation' });
      await owner.post('/absences', { studentId: k2.id, date: addDays('2026-01-10', d), reason: 'sick' });
    }
    expect((await owner.get('/absences?from=2026-01-11&to=2026-01-12')).body.items).toHaveLength(4);
    expect((await owner.get(`/absences?roomId=${r2.id}`)).body.items.every((a: any) => a.studentId === k2.id)).toBe(true);
    const p1 = await owner.get('/absences?limit=4');
    expect(p1.body.items).toHaveLength(4);
    const p2 = await owner.get(`/absences?limit=4&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items).toHaveLength(2);
    expect(p2.body.nextCursor).toBeNull();
    expect((await other.owner.get('/absences')).body.items).toEqual([]);
    expect((await owner.get('/absences?from=2026-13-01')).status).toBe(400);
    const key = { 'idempotency-key': `abs-${k1.id}` };
    const a = await owner.post('/absences', { studentId: k1.id, date: '2026-02-01', reason: 'other' }, key);
    const b = await owner.post('/absences', { studentId: k1.id, date: '2026-02-01', reason: 'other' }, key);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect((await owner.post('/absences', { studentId: k1.id, date: '2026-02-02', reason: 'other' }, key)).status).toBe(422);
  });
});
