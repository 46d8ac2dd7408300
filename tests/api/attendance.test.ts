import { describe, expect, it } from 'vitest';
import { newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';

const NIL = '00000000-0000-7000-8000-000000000000';
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const MIN = 60_000;

describe('attendance: check-in, check-out, corrections', () => {
  const srv = useServer();

  const centre = (timezone = 'UTC') => newCentre(srv, { timezone });

  it('runs the state machine: in → 409 → out → 409 → in again, with audit rows', async () => {
    const { owner, fx, membership } = await centre();
    const room = await fx.room({ capacity: 10 });
    const child = await fx.student({ roomId: room.id });

    const in1 = await owner.post('/attendance/check-in', { studentId: child.id, note: 'sleepy' });
    expect(in1.status).toBe(201);
    expect(in1.body).toMatchObject({
      studentId: child.id,
      roomId: room.id,
      checkOutAt: null,
      checkedInByMembershipId: membership.id,
      checkedOutByMembershipId: null,
      note: 'sleepy',
      version: 1,
    });
    expect(in1.body.date).toBe(new Date().toISOString().slice(0, 10));
    expect(in1.headers.get('etag')).toBe('"1"');

    const again = await owner.post('/attendance/check-in', { studentId: child.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');

    const out = await owner.post('/attendance/check-out', { studentId: child.id });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ id: in1.body.id, checkedOutByMembershipId: membership.id, version: 2 });
    expect(Date.parse(out.body.checkOutAt)).toBeGreaterThanOrEqual(Date.parse(in1.body.checkInAt));

    const out2 = await owner.post('/attendance/check-out', { studentId: child.id });
    expect(out2.status).toBe(409);
    expect(out2.body.error.code).toBe('CONFLICT');

    const in2 = await owner.post('/attendance/check-in', { studentId: child.id });
    expect(in2.status).toBe(201);
    expect(in2.body.id).not.toBe(in1.body.id);

    const list = await owner.get(`/attendance?studentId=${child.id}`);
    expect(list.body.items.map((r: any) => r.id)).toEqual([in1.body.id, in2.body.id]);

    const ins = await owner.get('/audit-logs?action=attendance.checked_in');
    expect(ins.body.items.map((a: any) => a.targetId)).toEqual(expect.arrayContaining([in1.body.id, in2.body.id]));
    const outs = await owner.get('/audit-logs?action=attendance.checked_out');
    expect(outs.body.items[0]).toMatchObject({ targetId: in1.body.id, actorMembershipId: membership.id });
    expect(outs.body.items[0].before.checkOutAt).toBeNull();
  });

  it('refuses bad check-ins: future, unknown, other centre, archived, withdrawn, unlinked drop-off, bad input', async () => {
    const { owner, fx } = await centre();
    const other = await centre();
    const foreign = await other.fx.student();
    const child = await fx.student();

    const future = await owner.post('/attendance/check-in', { studentId: child.id, at: new Date(Date.now() + 10 * MIN).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.error.code).toBe('UNPROCESSABLE');

    for (const studentId of [NIL, 'not-a-uuid', foreign.id]) {
      const r = await owner.post('/attendance/check-in', { studentId });
      expect(r.status, studentId).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    const archived = await fx.student({ archived: true });
    expect((await owner.post('/attendance/check-in', { studentId: archived.id })).status).toBe(409);
    const withdrawn = await fx.student({ status: 'withdrawn' });
    expect((await owner.post('/attendance/check-in', { studentId: withdrawn.id })).status).toBe(409);

    expect((await owner.post('/attendance/check-in', {})).status).toBe(400);
    const badAt = await owner.post('/attendance/check-in', { studentId: child.id, at: 'yesterday' });
    expect(badAt.status).toBe(400);
    expect(badAt.body.error.details[0].path).toBe('at');

    const stranger = await fx.guardian();
    const unlinked = await owner.post('/attendance/check-in', { studentId: child.id, droppedOffByGuardianId: stranger.id });
    expect(unlinked.status).toBe(422);
    expect((await owner.post('/attendance/check-in', { studentId: child.id, droppedOffByGuardianId: 'nope' })).status).toBe(422);

    const parent = await fx.guardian();
    await fx.link(child.id, parent.id, { authorizedPickup: false });
    const ok = await owner.post('/attendance/check-in', { studentId: child.id, at: ago(30 * MIN), droppedOffByGuardianId: parent.id });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ droppedOffByGuardianId: parent.id, roomId: null, checkInAt: expect.any(String) });
    // A small clock skew (under 5 minutes ahead) is still accepted.
    const soon = await owner.post('/attendance/check-in', { studentId: (await fx.student()).id, at: new Date(Date.now() + 60_000).toISOString() });
    expect(soon.status).toBe(201);
  });

  it('refuses bad check-outs: before check-in, future, unauthorized pickup', async () => {
    const { owner, fx } = await centre();
    const child = await fx.student();
    const pickup = await fx.guardian();
    const linkedOnly = await fx.guardian();
    const stranger = await fx.guardian();
    await fx.link(child.id, pickup.id, { authorizedPickup: true });
    await fx.link(child.id, linkedOnly.id, { authorizedPickup: false });

    expect((await owner.post('/attendance/check-out', { studentId: child.id })).status).toBe(409);
    expect((await owner.post('/attendance/check-out', { studentId: NIL })).status).toBe(404);
    const checkIn = await owner.post('/attendance/check-in', { studentId: child.id, at: ago(60 * MIN) });
    expect(checkIn.status).toBe(201);

    const before = await owner.post('/attendance/check-out', { studentId: child.id, at: ago(90 * MIN) });
    expect(before.status).toBe(422);
    const future = await owner.post('/attendance/check-out', { studentId: child.id, at: new Date(Date.now() + 10 * MIN).toISOString() });
    expect(future.status).toBe(422);
    for (const g of [linkedOnly.id, stranger.id, 'not-a-uuid']) {
      const r = await owner.post('/attendance/check-out', { studentId: child.id, pickedUpByGuardianId: g });
      expect(r.status, g).toBe(422);
      expect(r.body.error.code).toBe('UNPROCESSABLE');
    }
    const ok = await owner.post('/attendance/check-out', { studentId: child.id, pickedUpByGuardianId: pickup.id });
    expect(ok.status).toBe(200);
    expect(ok.body.pickedUpByGuardianId).toBe(pickup.id);

    // A new check-in may not start before the stay that just ended.
    const overlap = await owner.post('/attendance/check-in', { studentId: child.id, at: ago(30 * MIN) });
    expect(overlap.status).toBe(422);
  });

  it('a check-in that would exceed the room’s capacity is 409; a check-out frees the place', async () => {
    const { owner, fx } = await centre();
    const room = await fx.room({ capacity: 2 });
    const [a, b, c] = [await fx.student({ roomId: room.id }), await fx.student({ roomId: room.id }), await fx.student({ roomId: room.id })];
    expect((await owner.post('/attendance/check-in', { studentId: a.id })).status).toBe(201);
    expect((await owner.post('/attendance/check-in', { studentId: b.id })).status).toBe(201);
    const full = await owner.post('/attendance/check-in', { studentId: c.id });
    expect(full.status).toBe(409);
    expect(full.body.error.message).toMatch(/full/);
    expect((await owner.post('/attendance/check-out', { studentId: a.id })).status).toBe(200);
    expect((await owner.post('/attendance/check-in', { studentId: c.id })).status).toBe(201);
  });

  it('lists with filters and pages, and validates the query', async () => {
    const { owner, fx } = await centre();
    const r1 = await fx.room();
    const r2 = await fx.room();
    const a = await fx.student({ roomId: r1.id });
    const b = await fx.student({ roomId: r2.id });
    await owner.post('/attendance/check-in', { studentId: a.id, at: '2026-01-10T09:00:00Z' });
    await owner.post('/attendance/check-out', { studentId: a.id, at: '2026-01-10T15:00:00Z' });
    await owner.post('/attendance/check-in', { studentId: a.id, at: '2026-01-11T09:00:00Z' });
    await owner.post('/attendance/check-in', { studentId: b.id, at: '2026-01-11T09:30:00Z' });

    const day = await owner.get('/attendance?date=2026-01-11');
    expect(day.status).toBe(200);
    expect(day.body.items).toHaveLength(2);
    expect(day.body.nextCursor).toBeNull();
    const room = await owner.get(`/attendance?roomId=${r1.id}`);
    expect(room.body.items.map((r: any) => r.date)).toEqual(['2026-01-10', '2026-01-11']);
    expect(room.body.items[0]).toMatchObject({ checkOutAt: '2026-01-10T15:00:00.000Z', checkInAt: '2026-01-10T09:00:00.000Z' });
    const both = await owner.get(`/attendance?date=2026-01-11&studentId=${b.id}`);
    expect(both.body.items).toHaveLength(1);

    const p1 = await owner.get('/attendance?limit=2');
    expect(p1.body.items).toHaveLength(2);
    const p2 = await owner.get(`/attendance?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    expect(new Set([...p1.body.items, ...p2.body.items].map((r: any) => r.id)).size).toBe(3);

    for (const q of ['date=2025-02-30', 'date=yesterday', 'roomId=nope', 'studentId=1', 'limit=0', 'limit=201', 'cursor=garbage']) {
      const r = await owner.get(`/attendance?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('corrections: reason required, If-Match, validation, audit with before/after and reason', async () => {
    const { owner, fx } = await centre();
    const teacher = await addMember(srv, owner, ['teacher']);
    const child = await fx.student();
    const rec = (await owner.post('/attendance/check-in', { studentId: child.id, at: '2026-02-02T08:00:00Z' })).body;
    const path = `/attendance/${rec.id}`;

    expect((await owner.patch(path, { checkInAt: '2026-02-02T07:45:00Z' })).status).toBe(400);
    expect((await owner.patch(path, { checkInAt: '2026-02-02T07:45:00Z', reason: '  ' })).status).toBe(400);
    expect((await owner.patch(path, { reason: 'nothing' })).status).toBe(400);
    expect((await owner.patch(path, { reason: 'x', date: '2026-01-01' })).status).toBe(400);
    expect((await owner.patch(path, { checkOutAt: '2026-02-02T07:00:00Z', reason: 'wrong' })).status).toBe(422);
    expect((await owner.patch(path, { checkOutAt: new Date(Date.now() + 3600_000).toISOString(), reason: 'wrong' })).status).toBe(422);
    expect((await owner.patch(path, { checkInAt: '2026-02-02T07:45:00Z', reason: 'late entry' }, { 'if-match': '"7"' })).status).toBe(412);

    const ok = await teacher.agent.patch(path, { checkInAt: '2026-02-01T23:45:00Z', checkOutAt: '2026-02-02T16:00:00Z', note: 'fixed', reason: 'tablet was offline' }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 2, date: '2026-02-01', checkInAt: '2026-02-01T23:45:00.000Z', checkOutAt: '2026-02-02T16:00:00.000Z', note: 'fixed' });
    expect(ok.headers.get('etag')).toBe('"2"');
    expect((await owner.patch(path, { note: 'again', reason: 'x' }, { 'if-match': '"1"' })).status).toBe(412);

    const audit = await owner.get('/audit-logs?action=attendance.corrected');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      targetId: rec.id,
      before: { checkInAt: '2026-02-02T08:00:00.000Z', checkOutAt: null, version: 1 },
      after: { checkInAt: '2026-02-01T23:45:00.000Z', reason: 'tablet was offline', version: 2 },
    });

    const other = await centre();
    expect((await other.owner.patch(path, { note: 'x', reason: 'x' })).status).toBe(404);
    expect((await owner.patch(`/attendance/${NIL}`, { note: 'x', reason: 'x' })).status).toBe(404);
    expect((await owner.patch('/attendance/not-a-uuid', { note: 'x', reason: 'x' })).status).toBe(404);
  });

  it('guardians read only their own children’s attendance and cannot write', async () => {
    const { owner, fx } = await centre();
    const g = await addMember(srv, owner, ['guardian']);
    const gRec = await fx.guardian({ email: g.email });
    const mine = await fx.student();
    const theirs = await fx.student();
    await fx.link(mine.id, gRec.id, { authorizedPickup: true });
    const recMine = (await owner.post('/attendance/check-in', { studentId: mine.id })).body;
    await owner.post('/attendance/check-in', { studentId: theirs.id });

    const list = await g.agent.get('/attendance');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: any) => r.id)).toEqual([recMine.id]);
    expect((await g.agent.get(`/attendance?studentId=${theirs.id}`)).body.items).toEqual([]);

    for (const [method, path, body] of [
      ['POST', '/attendance/check-in', { studentId: mine.id }],
      ['POST', '/attendance/check-out', { studentId: mine.id }],
      ['PATCH', `/attendance/${recMine.id}`, { note: 'x', reason: 'x' }],
    ] as const) {
      const r = await g.agent.request(method, path, { body });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    // A guardian with no linked children sees nothing.
    const lonely = await addMember(srv, owner, ['guardian']);
    expect((await lonely.agent.get('/attendance')).body.items).toEqual([]);
  });

  it('replays a check-in sent twice with the same Idempotency-Key', async () => {
    const { owner, fx } = await centre();
    const child = await fx.student();
    const h = { 'idempotency-key': 'door-tablet-1' };
    const first = await owner.post('/attendance/check-in', { studentId: child.id }, h);
    const second = await owner.post('/attendance/check-in', { studentId: child.id }, h);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const reused = await owner.post('/attendance/check-in', { studentId: child.id, note: 'different' }, h);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
