import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { addMember, newTenant } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { seedRoom, waitJob } from './jobs.helpers.js';

const report = { type: 'attendance', from: '2025-01-01', to: '2025-01-07' };

describe('GET /jobs/{id}', () => {
  const srv = useServer();

  it('the creator and owners read a job; another admin, teachers, guardians and other centres cannot', async () => {
    const { owner } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    const admin2 = await addMember(srv, owner, ['admin']);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    const r = await admin.agent.post('/reports', report);
    expect(r.status).toBe(202);
    const job = await waitJob(admin.agent, r.body.jobId);
    expect(Object.keys(job).sort()).toEqual(['createdAt', 'id', 'progress', 'result', 'status', 'type', 'updatedAt', 'version']);
    const byOwner = await owner.get(`/jobs/${r.body.jobId}`);
    expect(byOwner.status).toBe(200);
    expect(byOwner.headers.get('etag')).toBe(`"${byOwner.body.version}"`);
    expect((await admin2.agent.get(`/jobs/${r.body.jobId}`)).status).toBe(404);
    expect((await teacher.agent.get(`/jobs/${r.body.jobId}`)).status).toBe(403);
    expect((await guardian.agent.get(`/jobs/${r.body.jobId}`)).status).toBe(403);
    const other = await newTenant(srv);
    const nf = await other.owner.get(`/jobs/${r.body.jobId}`);
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NOT_FOUND');
    expect((await owner.get(`/jobs/${newId()}`)).status).toBe(404);
    expect((await owner.get('/jobs/not-a-uuid')).status).toBe(404);
    expect((await srv.agent().get(`/jobs/${r.body.jobId}`)).status).toBe(401);
  });
});

describe('GET /attendance/rollups', () => {
  const srv = useServer();

  it('lists the rollups of the centre (staff), filtered by room and range; guardians 403; 401 without a session', async () => {
    const { owner, tenant } = await newTenant(srv);
    const a = await seedRoom(srv, tenant.id, { name: 'A' });
    const b = await seedRoom(srv, tenant.id, { name: 'B' });
    // The rollup task writes one row per room and ended day of the last week.
    await srv.container.workers.runTask('attendance.rollup', new Date('2025-03-10T12:00:00Z'));
    const all = await owner.get('/attendance/rollups?from=2025-03-01&to=2025-03-31');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(14);
    expect(all.body.items[0]).toEqual({ roomId: expect.any(String), date: '2025-03-03', childrenPresent: 0, totalMinutes: 0, peakCount: 0, ratioBreaches: 0, staffMinutes: 0, outOfRatioMinutes: 0 });
    const one = await owner.get(`/attendance/rollups?from=2025-03-09&to=2025-03-09&roomId=${a}`);
    expect(one.body.items).toEqual([expect.objectContaining({ roomId: a, date: '2025-03-09' })]);
    expect(b).not.toBe(a);
    const teacher = await addMember(srv, owner, ['teacher']);
    expect((await teacher.agent.get('/attendance/rollups?from=2025-03-01&to=2025-03-31')).body.items).toHaveLength(14);
    const guardian = await addMember(srv, owner, ['guardian']);
    expect((await guardian.agent.get('/attendance/rollups')).status).toBe(403);
    expect((await srv.agent().get('/attendance/rollups')).status).toBe(401);
    expect((await owner.get('/attendance/rollups?from=2025-03-10&to=2025-03-01')).status).toBe(400);
    const other = await newTenant(srv);
    expect((await other.owner.get('/attendance/rollups?from=2025-03-01&to=2025-03-31')).body.items).toHaveLength(0);
  });
});
