/**
 * Event times and who may rewrite them (CONTRACT §5 "Staff time", README "Event times"):
 * - a teacher's clock-in, move or clock-out more than 12 hours in the past → 422; an owner or admin may (audited);
 * - clock-in/out and check-in/out without `at` take the database's now, so a step of the API host's clock (the injected
 *   Clock moved +26 h and back) cannot strand a shift or a stay;
 * - an owner or admin closes a stranded shift (a clock-in in the future); a teacher cannot.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { addMember, uniqueEmail } from '../helpers/server.js';
import { auditActions, mkRoom, mkStaff, mkStudent, newCentre, useServer } from '../factories/index.js';

const clock = new ManualClock();
const srv = useServer({ clock });
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('event times', () => {
  it('a teacher dates their own clock-in, move or clock-out at most 12 hours back (422); an owner or admin corrects older times, audited', async () => {
    clock.set(new Date());
    const { owner } = await newCentre(srv);
    const [a, b] = [await mkRoom(owner), await mkRoom(owner)];
    const email = uniqueEmail('teacher');
    const teacher = (await addMember(srv, owner, ['teacher'], { email })).agent;
    const own = await mkStaff(owner, { email, roomIds: [a.id, b.id] });

    const old = await teacher.post(`/staff/${own.id}/clock-in`, { roomId: a.id, at: ago(13 * HOUR) });
    expect(old.status, old.text).toBe(422);
    expect(old.body.error).toMatchObject({ code: 'UNPROCESSABLE', details: [{ path: 'at' }] });
    const twentyDays = await teacher.post(`/staff/${own.id}/clock-in`, { roomId: a.id, at: ago(20 * 24 * HOUR) });
    expect(twentyDays.status).toBe(422);
    const recent = await teacher.post(`/staff/${own.id}/clock-in`, { roomId: a.id, at: ago(11 * HOUR) });
    expect(recent.status, recent.text).toBe(201);
    expect((await teacher.post(`/staff/${own.id}/move`, { roomId: b.id, at: ago(12 * HOUR + 60_000) })).status).toBe(422);
    expect((await teacher.post(`/staff/${own.id}/move`, { roomId: b.id, at: ago(10 * HOUR) })).status).toBe(201);
    expect((await teacher.post(`/staff/${own.id}/clock-out`, { at: ago(12 * HOUR + 60_000) })).status).toBe(422);
    expect((await teacher.post(`/staff/${own.id}/clock-out`, {})).status).toBe(200);

    // The owner may date a clock-in 20 days back; the clock-out's audit row keeps before and after.
    const other = await mkStaff(owner, { roomIds: [a.id] });
    const backdated = await owner.post(`/staff/${other.id}/clock-in`, { roomId: a.id, at: ago(20 * 24 * HOUR) });
    expect(backdated.status, backdated.text).toBe(201);
    const out = await owner.post(`/staff/${other.id}/clock-out`, { at: ago(20 * 24 * HOUR - 8 * HOUR) });
    expect(out.status, out.text).toBe(200);
    const row = (await auditActions(owner, 'shift.clocked_out')).find((x) => x.targetId === backdated.body.id);
    expect(row.before).toMatchObject({ clockInAt: backdated.body.clockInAt, clockOutAt: null });
    expect(row.after).toMatchObject({ clockInAt: backdated.body.clockInAt, clockOutAt: out.body.clockOutAt });
    expect((await auditActions(owner, 'shift.clocked_in')).map((x) => x.targetId)).toContain(backdated.body.id);
  });

  it('the API host’s clock stepped +26 h and back strands neither a shift nor a stay: event times come from the database', async () => {
    clock.set(new Date());
    const centre = await newCentre(srv);
    let owner = centre.owner;
    const room = await mkRoom(owner);
    const staff = await mkStaff(owner, { roomIds: [room.id] });
    const child = await mkStudent(owner, { roomId: room.id });
    // Sessions follow the injected clock too: sign in again at each step (that is not what is under test here).
    const signInAgain = async () => {
      const a = await srv.signIn(centre.email);
      const switched = await a.post('/auth/switch', { membershipId: centre.membership.id });
      expect(switched.status, switched.text).toBe(200);
      return a;
    };

    clock.advance(26 * HOUR);
    owner = await signInAgain();
    const cin = await owner.post(`/staff/${staff.id}/clock-in`, { roomId: room.id });
    expect(cin.status, cin.text).toBe(201);
    const arrived = await owner.post('/attendance/check-in', { studentId: child.id });
    expect(arrived.status, arrived.text).toBe(201);
    for (const at of [cin.body.clockInAt, arrived.body.checkInAt]) expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(60_000);

    clock.advance(-26 * HOUR);
    owner = await signInAgain();
    const out = await owner.post(`/staff/${staff.id}/clock-out`, {});
    expect(out.status, out.text).toBe(200);
    const left = await owner.post('/attendance/check-out', { studentId: child.id });
    expect(left.status, left.text).toBe(200);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body).toMatchObject({ present: [], staffOnDuty: 0 });
  });

  it('a stranded shift (its clock-in in the future) is closed by an owner or admin, audited; a teacher still gets 422', async () => {
    clock.set(new Date());
    const { owner, fx } = await newCentre(srv);
    const room = await mkRoom(owner);
    const email = uniqueEmail('stranded');
    const teacher = (await addMember(srv, owner, ['teacher'], { email })).agent;
    // Written while some clock ran 26 h ahead.
    const since = new Date(Date.now() + 26 * HOUR);
    const { id: staffId } = await fx.staff([room.id], { email, onDuty: room.id, since });
    expect((await teacher.post(`/staff/${staffId}/clock-out`, {})).status).toBe(422);
    expect((await teacher.post(`/staff/${staffId}/clock-out`, { at: since.toISOString() })).status).toBe(422);

    const closed = await owner.post(`/staff/${staffId}/clock-out`, {});
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.clockOutAt).toBe(closed.body.clockInAt);
    expect(Math.abs(Date.parse(closed.body.clockOutAt) - Date.now())).toBeLessThan(60_000);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.staffOnDuty).toBe(0);
    const audit = (await auditActions(owner, 'shift.stranded_closed')).find((x) => x.targetId === closed.body.id);
    expect(audit.before).toMatchObject({ clockInAt: since.toISOString(), clockOutAt: null });
    expect(audit.after).toMatchObject({ clockOutAt: closed.body.clockOutAt });
    // An ordinary open shift is not "stranded": a clock-out before its clock-in stays a 422 for the owner too.
    expect((await owner.post(`/staff/${staffId}/clock-in`, { roomId: room.id })).status).toBe(201);
    expect((await owner.post(`/staff/${staffId}/clock-out`, { at: ago(HOUR) })).status).toBe(422);
  });
});
