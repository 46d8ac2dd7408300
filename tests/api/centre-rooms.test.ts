import { describe, expect, it } from 'vitest';
import { addMember, newTenant } from '../helpers/server.js';
import { allPages, auditActions, mkRoom, useServer } from '../factories/index.js';

describe('rooms', () => {
  const srv = useServer();

  it('create, read, update, archive with ETags, versions and audit', async () => {
    const { owner } = await newTenant(srv);
    const created = await owner.post('/rooms', { name: ' Sunflowers ', capacity: 12, ageGroup: 'toddler', ratio: 4 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Sunflowers', capacity: 12, ageGroup: 'toddler', ratio: 4, version: 1, archivedAt: null });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id;

    const got = await owner.get(`/rooms/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"1"');
    expect(got.body).toEqual(created.body);

    const patched = await owner.patch(`/rooms/${id}`, { capacity: 14, ratio: null }, { 'if-match': '"1"' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ capacity: 14, ratio: null, name: 'Sunflowers', version: 2 });
    expect(patched.headers.get('etag')).toBe('"2"');

    const stale = await owner.patch(`/rooms/${id}`, { capacity: 15 }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');

    const empty = await owner.patch(`/rooms/${id}`, {});
    expect(empty.status).toBe(200);
    expect(empty.body.version).toBe(2);

    expect((await owner.delete(`/rooms/${id}`, { 'if-match': '"1"' })).status).toBe(412);
    const del = await owner.delete(`/rooms/${id}`, { 'if-match': '"2"' });
    expect(del.status).toBe(204);
    const after = await owner.get(`/rooms/${id}`);
    expect(after.status).toBe(200);
    expect(after.body.archivedAt).not.toBeNull();
    expect(after.body.version).toBe(3);

    const list = await owner.get('/rooms');
    expect(list.body.items.map((r: any) => r.id)).not.toContain(id);
    const withArchived = await owner.get('/rooms?includeArchived=true');
    expect(withArchived.body.items.map((r: any) => r.id)).toContain(id);

    for (const action of ['room.created', 'room.updated', 'room.archived']) {
      const entries = await auditActions(owner, action);
      expect(entries.find((e) => e.targetId === id), action).toBeDefined();
    }
    const upd = (await auditActions(owner, 'room.updated')).find((e) => e.targetId === id);
    expect(upd.before.capacity).toBe(12);
    expect(upd.after.capacity).toBe(14);
  });

  it('validates the body: 400 with details', async () => {
    const { owner } = await newTenant(srv);
    const cases: [unknown, string][] = [
      [{ capacity: 10 }, 'name'],
      [{ name: '  ', capacity: 10 }, 'name'],
      [{ name: 'A', capacity: 0 }, 'capacity'],
      [{ name: 'A', capacity: 2.5 }, 'capacity'],
      [{ name: 'A', capacity: '10' }, 'capacity'],
      [{ name: 'A', capacity: 10, ageGroup: 'teen' }, 'ageGroup'],
      [{ name: 'A', capacity: 10, ratio: 0 }, 'ratio'],
    ];
    for (const [body, path] of cases) {
      const r = await owner.post('/rooms', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect(r.body.error.details.map((d: any) => d.path)).toContain(path);
    }
    const room = await mkRoom(owner);
    expect((await owner.patch(`/rooms/${room.id}`, { capacity: -1 })).status).toBe(400);
    expect((await owner.patch(`/rooms/${room.id}`, { colour: 'red' })).status).toBe(400);
  });

  it('paginates 3+3+1 without duplicates', async () => {
    const { owner } = await newTenant(srv);
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await mkRoom(owner)).id);
    const pages = await allPages(owner, '/rooms', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((r) => r.id)).toEqual(ids);
  });

  it('teachers read but cannot write; unknown and malformed ids are 404', async () => {
    const { owner } = await newTenant(srv);
    const room = await mkRoom(owner);
    const { agent: teacher } = await addMember(srv, owner, ['teacher']);
    expect((await teacher.get('/rooms')).body.items).toHaveLength(1);
    expect((await teacher.get(`/rooms/${room.id}`)).status).toBe(200);
    for (const r of [
      await teacher.post('/rooms', { name: 'X', capacity: 1 }),
      await teacher.patch(`/rooms/${room.id}`, { capacity: 3 }),
      await teacher.delete(`/rooms/${room.id}`),
    ]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    expect((await owner.get('/rooms/not-a-uuid')).status).toBe(404);
    expect((await owner.get('/rooms/0190a000-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await owner.get('/rooms?cursor=garbage')).status).toBe(400);
  });

  it('replays a POST with the same Idempotency-Key without creating twice', async () => {
    const { owner } = await newTenant(srv);
    const h = { 'idempotency-key': 'room-create-1' };
    const a = await owner.post('/rooms', { name: 'Once', capacity: 5 }, h);
    const b = await owner.post('/rooms', { name: 'Once', capacity: 5 }, h);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.id).toBe(a.body.id);
    expect((await owner.get('/rooms')).body.items).toHaveLength(1);
    expect((await owner.post('/rooms', { name: 'Other', capacity: 5 }, h)).status).toBe(422);
  });
});
