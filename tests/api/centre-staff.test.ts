import { describe, expect, it } from 'vitest';
import { addMember, newTenant } from '../helpers/server.js';
import { allPages, auditActions, mkRoom, mkStaff, useServer } from '../factories/index.js';

describe('staff', () => {
  const srv = useServer();

  it('create with rooms, replace rooms on PATCH, archive', async () => {
    const { owner } = await newTenant(srv);
    const r1 = await mkRoom(owner);
    const r2 = await mkRoom(owner);
    const c = await owner.post('/staff', { firstName: 'Tom', lastName: 'Teacher', email: 'Tom@Example.test', roomIds: [r2.id, r1.id, r1.id] });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ firstName: 'Tom', email: 'tom@example.test', version: 1, archivedAt: null });
    expect(c.body.roomIds).toEqual([r1.id, r2.id].sort());
    expect(c.headers.get('etag')).toBe('"1"');
    const id = c.body.id;

    const p = await owner.patch(`/staff/${id}`, { roomIds: [r2.id] }, { 'if-match': '"1"' });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ roomIds: [r2.id], version: 2 });
    expect((await owner.get(`/staff/${id}`)).body.roomIds).toEqual([r2.id]);
    expect((await owner.patch(`/staff/${id}`, { lastName: 'T' }, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.patch(`/staff/${id}`, {})).body.version).toBe(2);
    const cleared = await owner.patch(`/staff/${id}`, { roomIds: [] });
    expect(cleared.body.roomIds).toEqual([]);

    const withoutRooms = await owner.post('/staff', { firstName: 'No', lastName: 'Rooms' });
    expect(withoutRooms.status).toBe(201);
    expect(withoutRooms.body.roomIds).toEqual([]);

    const inRoom = await mkStaff(owner, { roomIds: [r1.id] });
    expect((await owner.get(`/staff?roomId=${r1.id}`)).body.items.map((s: any) => s.id)).toEqual([inRoom.id]);

    expect((await owner.delete(`/staff/${id}`)).status).toBe(204);
    expect((await owner.get(`/staff/${id}`)).body.archivedAt).toEqual(expect.any(String));
    expect((await owner.get('/staff')).body.items.map((s: any) => s.id)).not.toContain(id);
    expect((await owner.get('/staff?includeArchived=true')).body.items.map((s: any) => s.id)).toContain(id);
    for (const action of ['staff.created', 'staff.updated', 'staff.archived'])
      expect((await auditActions(owner, action)).find((e) => e.targetId === id), action).toBeDefined();
  });

  it('rooms must be live rooms of this centre (422); names are required (400)', async () => {
    const a = await newTenant(srv);
    const b = await newTenant(srv);
    const foreign = await mkRoom(b.owner);
    const own = await mkRoom(a.owner);
    const r = await a.owner.post('/staff', { firstName: 'A', lastName: 'B', roomIds: [own.id, foreign.id] });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('UNPROCESSABLE');
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'roomIds.1' })]);
    const s = await mkStaff(a.owner, { roomIds: [own.id] });
    expect((await a.owner.patch(`/staff/${s.id}`, { roomIds: [foreign.id] })).status).toBe(422);
    expect((await a.owner.get(`/staff/${s.id}`)).body.roomIds).toEqual([own.id]);
    expect((await a.owner.post('/staff', { lastName: 'B', roomIds: [] })).status).toBe(400);
    expect((await a.owner.post('/staff', { firstName: 'A', lastName: 'B', roomIds: ['x'] })).status).toBe(400);
    expect((await a.owner.post('/staff', { firstName: 'A', lastName: 'B', email: 'bad' })).status).toBe(400);
  });

  it('teachers read staff but cannot change them; pages of 3', async () => {
    const { owner } = await newTenant(srv);
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await mkStaff(owner)).id);
    const { agent: teacher } = await addMember(srv, owner, ['teacher']);
    const pages = await allPages(teacher, '/staff', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((s) => s.id)).toEqual(ids);
    expect((await teacher.get(`/staff/${ids[0]}`)).status).toBe(200);
    expect((await teacher.post('/staff', { firstName: 'A', lastName: 'B', roomIds: [] })).status).toBe(403);
    expect((await teacher.patch(`/staff/${ids[0]}`, { firstName: 'Z' })).status).toBe(403);
    expect((await teacher.delete(`/staff/${ids[0]}`)).status).toBe(403);
  });
});
