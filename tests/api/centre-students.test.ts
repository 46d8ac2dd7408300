import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Res } from '../helpers/http.js';
import { newTenant } from '../helpers/server.js';
import { allPages, auditActions, mkRoom, mkStudent, useServer } from '../factories/index.js';

describe('students', () => {
  const srv = useServer();

  it('a list item is byte for byte the child GET /students/{id} answers (the list is written as SQL, the GET through Drizzle)', async () => {
    const { owner } = await newTenant(srv);
    const room = await mkRoom(owner);
    const full = await owner.post('/students', { firstName: 'Zoë', lastName: "O'Brien", dateOfBirth: '2021-12-31', roomId: room.id, allergies: 'eggs', notes: 'n', externalId: 'X-9' });
    const bare = await owner.post('/students', { firstName: 'Bo', lastName: 'Li', dateOfBirth: '2022-01-01' });
    const gone = await owner.post('/students', { firstName: 'Al', lastName: 'Ng', dateOfBirth: '2020-06-15' });
    await owner.patch(`/students/${bare.body.id}`, { status: 'withdrawn' });
    await owner.delete(`/students/${gone.body.id}`);
    const list = await owner.get('/students?includeArchived=true&limit=2');
    const rest = await owner.get(`/students?includeArchived=true&limit=2&cursor=${list.body.nextCursor}`);
    const items = [...list.body.items, ...rest.body.items];
    expect(items.map((s: any) => s.id).sort()).toEqual([full.body.id, bare.body.id, gone.body.id].sort());
    for (const item of items) {
      const one = await owner.get(`/students/${item.id}`);
      expect(JSON.stringify(item)).toBe(JSON.stringify(one.body));
    }
    expect(items.find((s: any) => s.id === gone.body.id).archivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('create, read, update with If-Match, archive keeps the record', async () => {
    const { owner } = await newTenant(srv);
    const room = await mkRoom(owner);
    const c = await owner.post('/students', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '2020-02-29',
      roomId: room.id,
      allergies: 'peanuts',
      notes: 'likes maths',
      externalId: 'EXT-1',
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '2020-02-29', roomId: room.id, status: 'enrolled', archivedAt: null, version: 1, externalId: 'EXT-1' });
    expect(c.headers.get('etag')).toBe('"1"');
    const id = c.body.id;

    const p = await owner.patch(`/students/${id}`, { status: 'withdrawn', roomId: null, allergies: null }, { 'if-match': c.headers.get('etag')! });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ status: 'withdrawn', roomId: null, allergies: null, notes: 'likes maths', version: 2 });
    expect(p.headers.get('etag')).toBe('"2"');
    expect((await owner.patch(`/students/${id}`, { notes: 'x' }, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.patch(`/students/${id}`, {})).body.version).toBe(2);

    expect((await owner.delete(`/students/${id}`)).status).toBe(204);
    const g = await owner.get(`/students/${id}`);
    expect(g.status).toBe(200);
    expect(g.body.archivedAt).toEqual(expect.any(String));
    expect(g.body.firstName).toBe('Ada');
    expect((await owner.get('/students')).body.items).toHaveLength(0);
    expect((await owner.get('/students?includeArchived=true')).body.items.map((s: any) => s.id)).toEqual([id]);
    // Archiving again is harmless.
    expect((await owner.delete(`/students/${id}`)).status).toBe(204);
    expect((await owner.get(`/students/${id}`)).body.version).toBe(3);

    const created = (await auditActions(owner, 'student.created')).find((e) => e.targetId === id);
    expect(created.after.firstName).toBe('Ada');
    const updated = (await auditActions(owner, 'student.updated')).find((e) => e.targetId === id);
    expect(updated.before.status).toBe('enrolled');
    expect(updated.after.status).toBe('withdrawn');
    expect((await auditActions(owner, 'student.archived')).filter((e) => e.targetId === id)).toHaveLength(1);
  });

  it('concurrent PATCHes without If-Match all succeed, each bumping the version once', async () => {
    const { owner } = await newTenant(srv);
    const s = await mkStudent(owner);
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => owner.patch(`/students/${s.id}`, { notes: `n${i}` })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    expect((await owner.get(`/students/${s.id}`)).body.version).toBe(6);
  });

  it('validates names, dates and enums', async () => {
    const { owner } = await newTenant(srv);
    const nextYear = `${new Date().getUTCFullYear() + 1}-01-01`;
    const base = { firstName: 'A', lastName: 'B', dateOfBirth: '2021-01-01' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, firstName: undefined }, 'firstName'],
      [{ ...base, lastName: '' }, 'lastName'],
      [{ ...base, dateOfBirth: '2025-02-30' }, 'dateOfBirth'],
      [{ ...base, dateOfBirth: '21-01-01' }, 'dateOfBirth'],
      [{ ...base, dateOfBirth: nextYear }, 'dateOfBirth'],
      [{ ...base, status: 'graduated' }, 'status'],
      [{ ...base, roomId: 'nope' }, 'roomId'],
    ];
    for (const [body, path] of cases) {
      const r = await owner.post('/students', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect(r.body.error.details.map((d: any) => d.path)).toContain(path);
    }
    const today = new Date().toISOString().slice(0, 10);
    const newborn = await mkStudent(owner, { dateOfBirth: today });
    expect((await owner.patch(`/students/${newborn.id}`, { dateOfBirth: nextYear })).status).toBe(400);
    expect((await owner.patch(`/students/${newborn.id}`, { dateOfBirth: '2023-02-29' })).status).toBe(400);
    expect((await owner.get('/students?status=bogus')).status).toBe(400);
  });

  it('rejects a room that is not one of this centre with 422, and a duplicate externalId with 409', async () => {
    const a = await newTenant(srv);
    const b = await newTenant(srv);
    const foreignRoom = await mkRoom(b.owner);
    const r = await a.owner.post('/students', { firstName: 'A', lastName: 'B', dateOfBirth: '2021-01-01', roomId: foreignRoom.id });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('UNPROCESSABLE');
    expect(r.body.error.details[0].path).toBe('roomId');
    const unknown = await a.owner.post('/students', { firstName: 'A', lastName: 'B', dateOfBirth: '2021-01-01', roomId: '0190a000-0000-7000-8000-000000000000' });
    expect(unknown.status).toBe(422);
    const s = await mkStudent(a.owner, { externalId: 'X1' });
    expect((await a.owner.patch(`/students/${s.id}`, { roomId: foreignRoom.id })).status).toBe(422);
    const archivedRoom = await mkRoom(a.owner);
    await a.owner.delete(`/rooms/${archivedRoom.id}`);
    expect((await a.owner.patch(`/students/${s.id}`, { roomId: archivedRoom.id })).status).toBe(422);
    const dup = await a.owner.post('/students', { firstName: 'C', lastName: 'D', dateOfBirth: '2021-01-01', externalId: 'X1' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');
    // The same externalId in another centre is fine.
    await mkStudent(b.owner, { externalId: 'X1' });
  });

  it('filters by room, status and a case-insensitive name search', async () => {
    const { owner } = await newTenant(srv);
    const r1 = await mkRoom(owner);
    const r2 = await mkRoom(owner);
    const maria = await mkStudent(owner, { firstName: 'María', lastName: 'García', roomId: r1.id });
    const mario = await mkStudent(owner, { firstName: 'Mario', lastName: 'Rossi', roomId: r2.id });
    const ann = await mkStudent(owner, { firstName: 'Ann', lastName: 'Marsh', roomId: r1.id, status: 'withdrawn' });
    await mkStudent(owner, { firstName: '100%', lastName: 'Under_score' });
    const ids = async (q: string) => (await owner.get(`/students?${q}`)).body.items.map((s: any) => s.id);
    expect(await ids('q=MAR')).toEqual([maria.id, mario.id, ann.id]);
    expect(await ids('q=mario')).toEqual([mario.id]);
    expect(await ids('q=ann%20marsh')).toEqual([ann.id]);
    expect(await ids('q=rossi')).toEqual([mario.id]);
    expect(await ids('q=%25')).toHaveLength(1);
    expect(await ids('q=_')).toHaveLength(1);
    expect(await ids('q=zzz')).toEqual([]);
    expect(await ids(`roomId=${r1.id}`)).toEqual([maria.id, ann.id]);
    expect(await ids(`roomId=${r1.id}&status=enrolled`)).toEqual([maria.id]);
    expect(await ids('status=withdrawn')).toEqual([ann.id]);
  });

  it('paginates 7 children as 3+3+1, and inserts between pages neither duplicate nor skip', async () => {
    const { owner } = await newTenant(srv);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await mkStudent(owner)).id);
    const pages = await allPages(owner, '/students', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((s) => s.id)).toEqual(ids);
    expect((await owner.get('/students?limit=7')).body.nextCursor).toBeNull();

    const p1 = await owner.get('/students?limit=3');
    for (let i = 0; i < 2; i++) await mkStudent(owner);
    const p2 = await owner.get(`/students?limit=3&cursor=${p1.body.nextCursor}`);
    await mkStudent(owner);
    const rest = await allPages(owner, '/students', 3, p2.body.nextCursor);
    const seen = [...p1.body.items, ...p2.body.items, ...rest.flat()].map((s: any) => s.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect(seen).toHaveLength(10);
  });

  it('property: any page size and inserts between fetches give every existing row exactly once, in id order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 6 }), async (initial, limit, inserts) => {
        const { owner } = await newTenant(srv);
        const existing: string[] = [];
        for (let i = 0; i < initial; i++) existing.push((await mkStudent(owner)).id);
        const seen: string[] = [];
        let cursor: string | null = null;
        let step = 0;
        do {
          const r: Res = await owner.get(`/students?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
          expect(r.status).toBe(200);
          expect(r.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...r.body.items.map((s: any) => s.id));
          cursor = r.body.nextCursor;
          for (let i = 0; i < (inserts[step] ?? 0); i++) await mkStudent(owner);
          step++;
        } while (cursor && step < 50);
        expect(new Set(seen).size).toBe(seen.length);
        expect([...seen].sort()).toEqual(seen);
        for (const id of existing) expect(seen).toContain(id);
      }),
      { numRuns: 8 },
    );
  });
});
