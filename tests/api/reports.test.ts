import { describe, expect, it } from 'vitest';
import { addMember, newTenant, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { seedGuardian, seedRoom, seedStudent, seedVisit, uploadCsv, waitJob } from './jobs.helpers.js';

async function download(agent: ReturnType<TestServer['agent']>, fileId: string) {
  const f = await agent.get(`/files/${fileId}`);
  expect(f.status, f.text).toBe(200);
  expect(f.body.contentType).toBe('text/csv');
  const res = await fetch(f.body.downloadUrl);
  expect(res.status).toBe(200);
  return res.text();
}

describe('POST /reports (attendance CSV)', () => {
  const srv = useServer();

  it('writes one CSV row per attendance record, in the centre’s time zone, and the job result names the file', async () => {
    const { owner, tenant } = await newTenant(srv, { timezone: 'America/New_York' });
    const sun = await seedRoom(srv, tenant.id, { name: 'Sunflowers' });
    const moon = await seedRoom(srv, tenant.id, { name: 'Moon, "big" room' });
    const ada = await seedStudent(srv, tenant.id, { firstName: 'Ada', lastName: 'Lovelace', roomId: sun });
    const bob = await seedStudent(srv, tenant.id, { firstName: '=Bob', lastName: 'Tables', roomId: moon });
    const mum = await seedGuardian(srv, tenant.id, 'Mary', 'Lovelace');
    const dad = await seedGuardian(srv, tenant.id, 'John', 'Lovelace');
    await seedVisit(srv, tenant.id, { studentId: ada, roomId: sun, date: '2025-01-10', in: '2025-01-10T13:30:00Z', out: '2025-01-10T22:15:00Z', droppedOff: mum, pickedUp: dad });
    await seedVisit(srv, tenant.id, { studentId: bob, roomId: moon, date: '2025-01-10', in: '2025-01-10T14:00:00Z', out: null });
    await seedVisit(srv, tenant.id, { studentId: ada, roomId: sun, date: '2025-01-11', in: '2025-01-11T14:00:00Z', out: '2025-01-11T15:00:00Z' });
    await seedVisit(srv, tenant.id, { studentId: ada, roomId: sun, date: '2025-02-01', in: '2025-02-01T14:00:00Z', out: '2025-02-01T15:00:00Z' });

    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-31' });
    expect(r.status, r.text).toBe(202);
    expect(r.body.jobId).toMatch(/^[0-9a-f-]{36}$/);
    const job = await waitJob(owner, r.body.jobId);
    expect(job).toMatchObject({ id: r.body.jobId, type: 'report.attendance', status: 'succeeded', progress: 100, result: { rows: 3 } });
    expect(job.error).toBeUndefined();
    const csv = await download(owner, job.result.fileId);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toEqual([
      'date,firstName,lastName,room,checkIn,checkOut,droppedOffBy,pickedUpBy,hours,movedTo,method,absence',
      '2025-01-10,Ada,Lovelace,Sunflowers,2025-01-10 08:30,2025-01-10 17:15,Mary Lovelace,John Lovelace,8.75,,staff,',
      `2025-01-10,'=Bob,Tables,"Moon, ""big"" room",2025-01-10 09:00,,,,,,staff,`,
      '2025-01-11,Ada,Lovelace,Sunflowers,2025-01-11 09:00,2025-01-11 10:00,,,1.00,,staff,',
    ]);

    // One room only.
    const r2 = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-12-31', roomId: moon });
    expect(r2.status).toBe(202);
    const job2 = await waitJob(owner, r2.body.jobId);
    expect(job2.result.rows).toBe(1);
    expect((await download(owner, job2.result.fileId)).split('\r\n')[1]).toContain('Bob');
  });

  it('one row per stay (a move names the room moved to) and one per absence', async () => {
    const { owner } = await newTenant(srv);
    const a = (await owner.post('/rooms', { name: 'Ants', capacity: 5 })).body;
    const b = (await owner.post('/rooms', { name: 'Bees', capacity: 5 })).body;
    const kid = (await owner.post('/students', { firstName: 'Cy', lastName: 'Moves', dateOfBirth: '2021-01-01', roomId: a.id })).body;
    const sick = (await owner.post('/students', { firstName: 'Di', lastName: 'Away', dateOfBirth: '2021-01-01', roomId: b.id })).body;
    await owner.post('/attendance/check-in', { studentId: kid.id, at: '2025-03-03T08:00:00Z' });
    await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at: '2025-03-03T12:00:00Z' });
    await owner.post('/attendance/check-out', { studentId: kid.id, at: '2025-03-03T15:30:00Z' });
    await owner.post('/absences', { studentId: sick.id, date: '2025-03-03', reason: 'sick' });
    const job = await waitJob(owner, (await owner.post('/reports', { type: 'attendance', from: '2025-03-01', to: '2025-03-31' })).body.jobId);
    expect(job.result.rows).toBe(3);
    expect((await download(owner, job.result.fileId)).trimEnd().split('\r\n').slice(1)).toEqual([
      expect.stringMatching(/^2025-03-03,Cy,Moves,Ants,2025-03-03 08:00,2025-03-03 12:00,,,4\.00,Bees,staff,$/),
      expect.stringMatching(/^2025-03-03,Cy,Moves,Bees,2025-03-03 12:00,2025-03-03 15:30,,,3\.50,,staff,$/),
      '2025-03-03,Di,Away,Bees,,,,,,,,sick',
    ].sort((x, y) => (typeof x === 'string' ? 1 : typeof y === 'string' ? -1 : 0)));
    const onlyA = await waitJob(owner, (await owner.post('/reports', { type: 'attendance', from: '2025-03-01', to: '2025-03-31', roomId: a.id })).body.jobId);
    expect(onlyA.result.rows).toBe(1);
  });

  it('an empty range still makes a file with the header only', async () => {
    const { owner } = await newTenant(srv);
    const r = await owner.post('/reports', { type: 'attendance', from: '2020-01-01', to: '2020-01-02' });
    const job = await waitJob(owner, r.body.jobId);
    expect(job.result.rows).toBe(0);
    expect(await download(owner, job.result.fileId)).toBe('date,firstName,lastName,room,checkIn,checkOut,droppedOffBy,pickedUpBy,hours,movedTo,method,absence\r\n');
  });

  it('validates the range: real dates, from ≤ to, at most 366 days (400); another centre’s room is 404', async () => {
    const { owner } = await newTenant(srv);
    const other = await newTenant(srv);
    const otherRoom = await seedRoom(srv, other.tenant.id);
    for (const body of [
      { type: 'attendance', from: '2025-02-30', to: '2025-03-01' },
      { type: 'attendance', from: '2025-03-02', to: '2025-03-01' },
      { type: 'attendance', from: '2024-01-01', to: '2025-01-02' },
      { type: 'payroll', from: '2025-01-01', to: '2025-01-02' },
      { type: 'attendance', from: '2025-01-01' },
    ]) {
      const r = await owner.post('/reports', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await owner.post('/reports', { type: 'attendance', from: '2024-01-01', to: '2024-12-31' })).status).toBe(202); // 366 days
    const nf = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02', roomId: otherRoom });
    expect(nf.status).toBe(404);
    expect((await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02', roomId: 'nope' })).status).toBe(404);
  });

  it('401 without a session; 403 for teachers, guardians and without the reports entitlement', async () => {
    const body = { type: 'attendance', from: '2025-01-01', to: '2025-01-02' };
    expect((await srv.agent().post('/reports', body)).status).toBe(401);
    const { owner } = await newTenant(srv);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    const admin = await addMember(srv, owner, ['admin'], { entitlements: ['messaging', 'imports'] });
    for (const a of [teacher.agent, guardian.agent, admin.agent]) {
      const r = await a.post('/reports', body);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('an Idempotency-Key replay returns the same job instead of starting another', async () => {
    const { owner } = await newTenant(srv);
    const body = { type: 'attendance', from: '2025-01-01', to: '2025-01-02' };
    const a = await owner.post('/reports', body, { 'idempotency-key': 'report-1' });
    const b = await owner.post('/reports', body, { 'idempotency-key': 'report-1' });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.jobId).toBe(a.body.jobId);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('report and import files belong to those who may run them', () => {
  const srv = useServer();

  it('a teacher or guardian asking for the attendance report or an import file by id → 404; owners and admins read them', async () => {
    const { owner, tenant } = await newTenant(srv);
    const room = await seedRoom(srv, tenant.id, { name: 'Sunflowers' });
    const ada = await seedStudent(srv, tenant.id, { firstName: 'Ada', lastName: 'Lovelace', roomId: room });
    await seedVisit(srv, tenant.id, { studentId: ada, roomId: room, date: '2025-01-10', in: '2025-01-10T13:30:00Z', out: '2025-01-10T22:15:00Z' });
    const admin = await addMember(srv, owner, ['admin']);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-31' });
    const report = (await waitJob(owner, r.body.jobId)).result.fileId as string;
    const imported = await uploadCsv(owner, 'firstName,lastName,dateOfBirth\nAda,Lovelace,2021-01-01\n');
    for (const fileId of [report, imported]) {
      for (const who of [teacher, guardian]) {
        const res = await who.agent.get(`/files/${fileId}`);
        expect(res.status, res.text).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
      expect((await owner.get(`/files/${fileId}`)).status).toBe(200);
      expect((await admin.agent.get(`/files/${fileId}`)).status).toBe(200);
    }
  });

  it('the member who created the file keeps it after losing the permission', async () => {
    const { owner } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    const fileId = await uploadCsv(admin.agent, 'firstName,lastName,dateOfBirth\nAda,Lovelace,2021-01-01\n');
    expect((await owner.patch(`/memberships/${admin.membershipId}`, { roles: ['teacher'] })).status).toBe(200);
    expect((await admin.agent.get(`/files/${fileId}`)).status).toBe(200);
    const otherTeacher = await addMember(srv, owner, ['teacher']);
    expect((await otherTeacher.agent.get(`/files/${fileId}`)).status).toBe(404);
  });
});
