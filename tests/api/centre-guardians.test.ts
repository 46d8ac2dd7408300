import { describe, expect, it } from 'vitest';
import { addMember, newTenant, uniqueEmail } from '../helpers/server.js';
import { auditActions, mkGuardian, mkRoom, mkStaff, mkStudent, useServer } from '../factories/index.js';

describe('guardians and guardian links', () => {
  const srv = useServer();

  it('guardian CRUD: email lower-cased, If-Match, archive', async () => {
    const { owner } = await newTenant(srv);
    const c = await owner.post('/guardians', { firstName: 'Grace', lastName: 'Hopper', email: ' Grace.Hopper@Example.TEST ', phone: '+44 20 7946 0000' });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ email: 'grace.hopper@example.test', phone: '+44 20 7946 0000', version: 1, archivedAt: null });
    expect(c.headers.get('etag')).toBe('"1"');
    const id = c.body.id;
    const p = await owner.patch(`/guardians/${id}`, { email: 'GH@EXAMPLE.TEST' }, { 'if-match': '"1"' });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ email: 'gh@example.test', version: 2 });
    expect((await owner.patch(`/guardians/${id}`, { phone: null }, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.get(`/guardians/${id}`)).headers.get('etag')).toBe('"2"');
    expect((await owner.get('/guardians')).body.items.map((g: any) => g.id)).toEqual([id]);
    expect((await owner.post('/guardians', { firstName: 'A', lastName: 'B', email: 'not-an-email' })).status).toBe(400);
    expect((await owner.post('/guardians', { lastName: 'B' })).status).toBe(400);
    expect((await owner.delete(`/guardians/${id}`)).status).toBe(204);
    expect((await owner.get(`/guardians/${id}`)).body.archivedAt).toEqual(expect.any(String));
    expect((await owner.get('/guardians')).body.items).toEqual([]);
    expect((await owner.get('/guardians?includeArchived=true')).body.items).toHaveLength(1);
    for (const action of ['guardian.created', 'guardian.updated', 'guardian.archived'])
      expect((await auditActions(owner, action)).find((e) => e.targetId === id), action).toBeDefined();
  });

  it('links a guardian to a child: 201 then 200, list, If-Match, unlink', async () => {
    const { owner } = await newTenant(srv);
    const s = await mkStudent(owner);
    const g = await mkGuardian(owner);
    const path = `/students/${s.id}/guardians/${g.id}`;
    const c = await owner.put(path, { relationship: 'mother', authorizedPickup: true });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ studentId: s.id, guardianId: g.id, relationship: 'mother', authorizedPickup: true, version: 1 });
    expect(c.headers.get('etag')).toBe('"1"');
    const u = await owner.put(path, { relationship: 'parent', authorizedPickup: false }, { 'if-match': '"1"' });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({ relationship: 'parent', authorizedPickup: false, version: 2 });
    expect((await owner.put(path, { relationship: 'x', authorizedPickup: true }, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.put(path, { relationship: '', authorizedPickup: true })).status).toBe(400);
    expect((await owner.put(path, { relationship: 'x', authorizedPickup: 'yes' })).status).toBe(400);

    const list = await owner.get(`/students/${s.id}/guardians`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [expect.objectContaining({ id: g.id, firstName: g.firstName, relationship: 'parent', authorizedPickup: false })], nextCursor: null });

    expect((await owner.delete(path, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.delete(path)).status).toBe(204);
    expect((await owner.get(`/students/${s.id}/guardians`)).body.items).toEqual([]);
    expect((await owner.delete(path)).status).toBe(404);

    const linked = (await auditActions(owner, 'student_guardian.linked')).find((e) => e.targetId === `${s.id}:${g.id}`);
    expect(linked.after.relationship).toBe('mother');
    const unlinked = (await auditActions(owner, 'student_guardian.unlinked')).find((e) => e.targetId === `${s.id}:${g.id}`);
    expect(unlinked.before.relationship).toBe('parent');
    expect((await auditActions(owner, 'student_guardian.updated')).length).toBeGreaterThan(0);

    // Unknown child or guardian: 404; an archived guardian cannot be newly linked.
    expect((await owner.put(`/students/${s.id}/guardians/0190a000-0000-7000-8000-000000000000`, { relationship: 'x', authorizedPickup: true })).status).toBe(404);
    expect((await owner.put(`/students/nope/guardians/${g.id}`, { relationship: 'x', authorizedPickup: true })).status).toBe(404);
    await owner.delete(`/guardians/${g.id}`);
    expect((await owner.put(path, { relationship: 'x', authorizedPickup: true })).status).toBe(422);
  });

  it('concurrent first links of the same pair: one 201, the others 200, no error', async () => {
    const { owner } = await newTenant(srv);
    const s = await mkStudent(owner);
    const g = await mkGuardian(owner);
    const results = await Promise.all(Array.from({ length: 4 }, () => owner.put(`/students/${s.id}/guardians/${g.id}`, { relationship: 'aunt', authorizedPickup: true })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
  });

  it('a guardian member sees only their own children, those rooms and their own record', async () => {
    const { owner } = await newTenant(srv);
    const roomA = await mkRoom(owner);
    const roomB = await mkRoom(owner);
    const mine = await mkStudent(owner, { roomId: roomA.id });
    const other = await mkStudent(owner, { roomId: roomB.id });
    const email = uniqueEmail('parent');
    const myRecord = await mkGuardian(owner, { email: email.toUpperCase() });
    const otherGuardian = await mkGuardian(owner, { email: uniqueEmail('other') });
    expect((await owner.put(`/students/${mine.id}/guardians/${myRecord.id}`, { relationship: 'father', authorizedPickup: true })).status).toBe(201);
    expect((await owner.put(`/students/${other.id}/guardians/${otherGuardian.id}`, { relationship: 'mother', authorizedPickup: true })).status).toBe(201);
    const staff = await mkStaff(owner, { roomIds: [roomA.id] });

    const { agent: parent } = await addMember(srv, owner, ['guardian'], { email });
    expect((await parent.get('/students')).body.items.map((s: any) => s.id)).toEqual([mine.id]);
    expect((await parent.get(`/students/${mine.id}`)).status).toBe(200);
    const hidden = await parent.get(`/students/${other.id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('NOT_FOUND');
    expect((await parent.get(`/students/${other.id}/guardians`)).status).toBe(404);
    expect((await parent.get(`/students/${mine.id}/guardians`)).body.items.map((g: any) => g.id)).toEqual([myRecord.id]);
    expect((await parent.get(`/students?roomId=${roomB.id}`)).body.items).toEqual([]);

    expect((await parent.get('/rooms')).body.items.map((r: any) => r.id)).toEqual([roomA.id]);
    expect((await parent.get(`/rooms/${roomA.id}`)).status).toBe(200);
    expect((await parent.get(`/rooms/${roomB.id}`)).status).toBe(404);

    expect((await parent.get('/guardians')).body.items.map((g: any) => g.id)).toEqual([myRecord.id]);
    expect((await parent.get(`/guardians/${myRecord.id}`)).status).toBe(200);
    expect((await parent.get(`/guardians/${otherGuardian.id}`)).status).toBe(404);

    expect((await parent.get('/staff')).status).toBe(403);
    expect((await parent.get(`/staff/${staff.id}`)).status).toBe(403);
    expect((await parent.patch(`/students/${mine.id}`, { notes: 'x' })).status).toBe(403);
    expect((await parent.put(`/students/${mine.id}/guardians/${myRecord.id}`, { relationship: 'x', authorizedPickup: true })).status).toBe(403);
    expect((await parent.post('/guardians', { firstName: 'A', lastName: 'B' })).status).toBe(403);

    // A guardian member with no matching record sees nothing.
    const { agent: stranger } = await addMember(srv, owner, ['guardian']);
    expect((await stranger.get('/students')).body.items).toEqual([]);
    expect((await stranger.get('/rooms')).body.items).toEqual([]);
    expect((await stranger.get('/guardians')).body.items).toEqual([]);
    expect((await stranger.get(`/students/${mine.id}`)).status).toBe(404);
  });
});
