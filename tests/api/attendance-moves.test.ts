/** POST /attendance/move (CONTRACT §5 Attendance): one stay per room, closed and opened at the same instant. */
import { describe, expect, it } from 'vitest';
import { auditActions, mkGuardian, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';

const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();

describe('POST /attendance/move', () => {
  const srv = useServer();

  it('closes the open stay with movedToRoomId and opens one in the new room at the same instant (201, audited)', async () => {
    const { owner } = await newCentre(srv);
    const a = await mkRoom(owner, { name: 'A' });
    const b = await mkRoom(owner, { name: 'B' });
    const kid = await mkStudent(owner, { roomId: a.id });
    const g = await mkGuardian(owner);
    await owner.put(`/students/${kid.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true });
    const first = await owner.post('/attendance/check-in', { studentId: kid.id, at: ago(120), droppedOffByGuardianId: g.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ method: 'staff', movedToRoomId: null });
    const at = ago(60);
    const moved = await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at });
    expect(moved.status, moved.text).toBe(201);
    expect(moved.body).toMatchObject({ studentId: kid.id, roomId: b.id, checkInAt: at, checkOutAt: null, movedToRoomId: null, method: 'staff', droppedOffByGuardianId: g.id });
    expect(moved.headers.get('etag')).toBe(`"${moved.body.version}"`);
    const list = await owner.get(`/attendance?studentId=${kid.id}`);
    const closed = list.body.items.find((r: any) => r.id === first.body.id);
    expect(closed).toMatchObject({ roomId: a.id, checkOutAt: at, movedToRoomId: b.id });
    expect(list.body.items.filter((r: any) => r.checkOutAt === null)).toHaveLength(1);
    // The rosters follow the stay.
    expect((await owner.get(`/rooms/${a.id}/roster`)).body.present).toEqual([]);
    expect((await owner.get(`/rooms/${b.id}/roster`)).body.present.map((p: any) => p.id)).toEqual([kid.id]);
    const audit = await auditActions(owner, 'attendance.moved');
    expect(audit[0]).toMatchObject({ targetId: moved.body.id });
    // Then check-out closes the stay in B.
    const out = await owner.post('/attendance/check-out', { studentId: kid.id });
    expect(out.body).toMatchObject({ id: moved.body.id, roomId: b.id, movedToRoomId: null });
  });

  it('not checked in → 409; the room the child is in → 422; a full room → 409; a missing room → 422; before the arrival → 422', async () => {
    const { owner } = await newCentre(srv);
    const a = await mkRoom(owner);
    const full = await mkRoom(owner, { capacity: 1 });
    const kid = await mkStudent(owner, { roomId: a.id });
    const other = await mkStudent(owner, { roomId: full.id });
    expect((await owner.post('/attendance/move', { studentId: kid.id, roomId: full.id })).status).toBe(409);
    await owner.post('/attendance/check-in', { studentId: kid.id, at: ago(30) });
    await owner.post('/attendance/check-in', { studentId: other.id });
    const same = await owner.post('/attendance/move', { studentId: kid.id, roomId: a.id });
    expect(same.status).toBe(422);
    expect(same.body.error.code).toBe('UNPROCESSABLE');
    const isFull = await owner.post('/attendance/move', { studentId: kid.id, roomId: full.id });
    expect(isFull.status).toBe(409);
    expect(isFull.body.error.code).toBe('CONFLICT');
    expect((await owner.post('/attendance/move', { studentId: kid.id, roomId: '00000000-0000-4000-8000-000000000000' })).status).toBe(422);
    const b = await mkRoom(owner);
    expect((await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at: ago(60) })).status).toBe(422);
    expect((await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(422);
    expect((await owner.post('/attendance/move', { studentId: kid.id })).status).toBe(400);
    // Still exactly one open stay, in A.
    const open = (await owner.get(`/attendance?studentId=${kid.id}`)).body.items.filter((r: any) => !r.checkOutAt);
    expect(open.map((r: any) => r.roomId)).toEqual([a.id]);
  });

  it('a guardian may not move (403); a teacher may; another centre’s child → 404; a replay answers the first move', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const a = await mkRoom(owner);
    const b = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: a.id });
    await owner.post('/attendance/check-in', { studentId: kid.id });
    const g = await addMember(srv, owner, ['guardian']);
    expect((await g.agent.post('/attendance/move', { studentId: kid.id, roomId: b.id })).status).toBe(403);
    expect((await other.owner.post('/attendance/move', { studentId: kid.id, roomId: b.id })).status).toBe(404);
    const t = await addMember(srv, owner, ['teacher']);
    const key = { 'idempotency-key': `move-${kid.id}` };
    const m1 = await t.agent.post('/attendance/move', { studentId: kid.id, roomId: b.id }, key);
    expect(m1.status).toBe(201);
    const m2 = await t.agent.post('/attendance/move', { studentId: kid.id, roomId: b.id }, key);
    expect(m2.status).toBe(201);
    expect(m2.headers.get('idempotent-replayed')).toBe('true');
    expect(m2.body.id).toBe(m1.body.id);
    expect((await owner.get(`/attendance?studentId=${kid.id}`)).body.items).toHaveLength(2);
  });

  it('in parallel: two moves, or a move and a check-out, never leave the child in two rooms or in none', async () => {
    const { owner } = await newCentre(srv);
    const rooms = await Promise.all([mkRoom(owner), mkRoom(owner), mkRoom(owner)]);
    for (let round = 0; round < 4; round++) {
      const kid = await mkStudent(owner, { roomId: rooms[0]!.id });
      await owner.post('/attendance/check-in', { studentId: kid.id, at: ago(10) });
      const [x, y] = await Promise.all([
        owner.post('/attendance/move', { studentId: kid.id, roomId: rooms[1]!.id }),
        owner.post('/attendance/move', { studentId: kid.id, roomId: rooms[2]!.id }),
      ]);
      // Either both ran one after the other (the second moved the child on), or the second found the stay closed.
      expect(x.status === 201 || y.status === 201).toBe(true);
      for (const r of [x, y]) expect([201, 409]).toContain(r.status);
      const wins = [x, y].filter((r) => r.status === 201).length;
      const recs = (await owner.get(`/attendance?studentId=${kid.id}`)).body.items;
      expect(recs.filter((r: any) => !r.checkOutAt)).toHaveLength(1);
      expect(recs).toHaveLength(1 + wins);
      // The stays chain: each closed one names the room of the next.
      for (const r of recs.filter((r: any) => r.checkOutAt)) expect(recs.some((n: any) => n.roomId === r.movedToRoomId && n.checkInAt === r.checkOutAt)).toBe(true);

      const kid2 = await mkStudent(owner, { roomId: rooms[0]!.id });
      await owner.post('/attendance/check-in', { studentId: kid2.id, at: ago(10) });
      const [mv, out] = await Promise.all([owner.post('/attendance/move', { studentId: kid2.id, roomId: rooms[1]!.id }), owner.post('/attendance/check-out', { studentId: kid2.id })]);
      const recs2 = (await owner.get(`/attendance?studentId=${kid2.id}`)).body.items;
      if (mv.status === 201) {
        // The move won: the check-out either closed the new stay (after it) or found nothing open.
        expect([200, 409]).toContain(out.status);
        expect(recs2).toHaveLength(2);
        expect(recs2.filter((r: any) => !r.checkOutAt)).toHaveLength(out.status === 200 ? 0 : 1);
      } else {
        expect(mv.status).toBe(409);
        expect(out.status).toBe(200);
        expect(recs2).toHaveLength(1);
        expect(recs2[0].checkOutAt).not.toBeNull();
      }
    }
  });

  it('in parallel: two children moving into the last place of a room → one 201, one 409', async () => {
    const { owner } = await newCentre(srv);
    const a = await mkRoom(owner);
    const small = await mkRoom(owner, { capacity: 1 });
    const kids = await Promise.all([mkStudent(owner, { roomId: a.id }), mkStudent(owner, { roomId: a.id })]);
    for (const k of kids) await owner.post('/attendance/check-in', { studentId: k.id });
    const res = await Promise.all(kids.map((k) => owner.post('/attendance/move', { studentId: k.id, roomId: small.id })));
    expect(res.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await owner.get(`/rooms/${small.id}/roster`)).body.presentCount).toBe(1);
  });

  it('the daily rollup counts each stay in its own room: the morning in A, the afternoon in B', async () => {
    const { owner, tenant } = await newCentre(srv);
    const a = await mkRoom(owner);
    const b = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: a.id });
    // A fixed past day far from other tests' (the rollup covers every centre of a shared database).
    await owner.post('/attendance/check-in', { studentId: kid.id, at: '2019-07-10T08:00:00Z' });
    expect((await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at: '2019-07-10T12:00:00Z' })).status).toBe(201);
    expect((await owner.post('/attendance/check-out', { studentId: kid.id, at: '2019-07-10T17:30:00Z' })).status).toBe(200);
    await srv.container.workers.runTask('attendance.rollup', new Date('2019-07-11T01:00:00Z'));
    const r = await owner.get('/attendance/rollups?from=2019-07-10&to=2019-07-10');
    const byRoom = Object.fromEntries(r.body.items.filter((x: any) => x.roomId === a.id || x.roomId === b.id).map((x: any) => [x.roomId, x]));
    expect(byRoom[a.id]).toMatchObject({ childrenPresent: 1, totalMinutes: 240, peakCount: 1 });
    expect(byRoom[b.id]).toMatchObject({ childrenPresent: 1, totalMinutes: 330, peakCount: 1 });
    expect(tenant.id).toBeTruthy();
  });
});
