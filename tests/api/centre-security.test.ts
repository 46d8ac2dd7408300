import { describe, expect, it } from 'vitest';
import { addMember, newTenant } from '../helpers/server.js';
import { mkGuardian, mkRoom, mkStaff, mkStudent, useServer } from '../factories/index.js';

const ANY_ID = '0190a000-0000-7000-8000-000000000000';
const ROUTES: [string, string][] = [
  ['GET', '/rooms'],
  ['POST', '/rooms'],
  ['GET', `/rooms/${ANY_ID}`],
  ['PATCH', `/rooms/${ANY_ID}`],
  ['DELETE', `/rooms/${ANY_ID}`],
  ['GET', '/students'],
  ['POST', '/students'],
  ['GET', `/students/${ANY_ID}`],
  ['PATCH', `/students/${ANY_ID}`],
  ['DELETE', `/students/${ANY_ID}`],
  ['GET', `/students/${ANY_ID}/guardians`],
  ['PUT', `/students/${ANY_ID}/guardians/${ANY_ID}`],
  ['DELETE', `/students/${ANY_ID}/guardians/${ANY_ID}`],
  ['GET', '/guardians'],
  ['POST', '/guardians'],
  ['GET', `/guardians/${ANY_ID}`],
  ['PATCH', `/guardians/${ANY_ID}`],
  ['DELETE', `/guardians/${ANY_ID}`],
  ['GET', '/staff'],
  ['POST', '/staff'],
  ['GET', `/staff/${ANY_ID}`],
  ['PATCH', `/staff/${ANY_ID}`],
  ['DELETE', `/staff/${ANY_ID}`],
];

describe('centre routes: sessions, roles, tenants', () => {
  const srv = useServer();

  // 401 without a session: the shared security suite checks it for every route (tests/api/security-suite.test.ts).

  it('teachers get 403 on every write, 2xx on every read', async () => {
    const { owner } = await newTenant(srv);
    const room = await mkRoom(owner);
    const student = await mkStudent(owner, { roomId: room.id });
    const guardian = await mkGuardian(owner);
    const staff = await mkStaff(owner, { roomIds: [room.id] });
    const { agent: teacher } = await addMember(srv, owner, ['teacher']);
    const real = (p: string) =>
      p.replace(`/rooms/${ANY_ID}`, `/rooms/${room.id}`).replace(`/students/${ANY_ID}`, `/students/${student.id}`).replace(`/guardians/${ANY_ID}`, `/guardians/${guardian.id}`).replace(`/staff/${ANY_ID}`, `/staff/${staff.id}`);
    for (const [method, path] of ROUTES) {
      const r = await teacher.request(method, real(path), method === 'GET' || method === 'DELETE' ? {} : { body: { firstName: 'x' } });
      if (method === 'GET') expect(r.status, `${method} ${path}`).toBe(200);
      else {
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error.code).toBe('FORBIDDEN');
      }
    }
    // Nothing changed.
    expect((await owner.get(`/students/${student.id}`)).body.version).toBe(1);
  });

  it("another centre's rooms, students, guardians and staff are 404 on read, change, archive and link", async () => {
    const a = await newTenant(srv);
    const b = await newTenant(srv);
    const room = await mkRoom(b.owner);
    const student = await mkStudent(b.owner, { roomId: room.id });
    const guardian = await mkGuardian(b.owner);
    const staff = await mkStaff(b.owner, { roomIds: [room.id] });
    const ownStudent = await mkStudent(a.owner);
    const ownGuardian = await mkGuardian(a.owner);
    const checks: [string, string, unknown?][] = [
      ['GET', `/rooms/${room.id}`],
      ['PATCH', `/rooms/${room.id}`, { capacity: 1 }],
      ['DELETE', `/rooms/${room.id}`],
      ['GET', `/students/${student.id}`],
      ['PATCH', `/students/${student.id}`, { notes: 'x' }],
      ['DELETE', `/students/${student.id}`],
      ['GET', `/students/${student.id}/guardians`],
      ['PUT', `/students/${student.id}/guardians/${ownGuardian.id}`, { relationship: 'x', authorizedPickup: true }],
      ['PUT', `/students/${ownStudent.id}/guardians/${guardian.id}`, { relationship: 'x', authorizedPickup: true }],
      ['DELETE', `/students/${ownStudent.id}/guardians/${guardian.id}`],
      ['GET', `/guardians/${guardian.id}`],
      ['PATCH', `/guardians/${guardian.id}`, { phone: '1' }],
      ['DELETE', `/guardians/${guardian.id}`],
      ['GET', `/staff/${staff.id}`],
      ['PATCH', `/staff/${staff.id}`, { firstName: 'x' }],
      ['DELETE', `/staff/${staff.id}`],
    ];
    for (const [method, path, body] of checks) {
      const r = await a.owner.request(method, path, body === undefined ? {} : { body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    // Lists never show them, and B's records are untouched.
    expect((await a.owner.get('/rooms')).body.items).toEqual([]);
    expect((await a.owner.get('/students')).body.items.map((s: any) => s.id)).toEqual([ownStudent.id]);
    expect((await a.owner.get('/staff')).body.items).toEqual([]);
    expect((await b.owner.get(`/students/${student.id}`)).body).toMatchObject({ version: 1, archivedAt: null, notes: null });
    expect((await b.owner.get(`/rooms/${room.id}`)).body).toMatchObject({ version: 1, archivedAt: null });
  });

  it('a tenantId smuggled into a body is refused and never moves a row to another centre', async () => {
    const a = await newTenant(srv);
    const b = await newTenant(srv);
    const bodies: [string, Record<string, unknown>][] = [
      ['/rooms', { name: 'R', capacity: 3 }],
      ['/students', { firstName: 'A', lastName: 'B', dateOfBirth: '2021-01-01' }],
      ['/guardians', { firstName: 'A', lastName: 'B' }],
      ['/staff', { firstName: 'A', lastName: 'B', roomIds: [] }],
    ];
    for (const [path, body] of bodies) {
      const r = await a.owner.post(path, { ...body, tenantId: b.tenant.id });
      expect(r.status, path).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect((await b.owner.get(path)).body.items, path).toEqual([]);
      expect((await a.owner.get(path)).body.items, path).toEqual([]);
    }
    const s = await mkStudent(a.owner);
    expect((await a.owner.patch(`/students/${s.id}`, { tenantId: b.tenant.id })).status).toBe(400);
    expect((await a.owner.patch(`/students/${s.id}`, { id: 'x' })).status).toBe(400);
    expect((await a.owner.get(`/students/${s.id}`)).status).toBe(200);
    expect((await b.owner.get(`/students/${s.id}`)).status).toBe(404);
  });
});
