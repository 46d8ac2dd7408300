/**
 * Over HTTP: exactly-once idempotency (key and response in the work's transaction), NUL bytes refused at the
 * schema, the JSON charset, health routes in the document, visibility before permission, unavailable → 503, and a
 * resumed import that counts the rows of its first attempt.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rooms, students } from '../../src/models/index.js';
import { idempotencyRepository } from '../../src/db/idempotency.repository.js';
import { jobsRepository } from '../../src/modules/imports-reports/jobs.repository.js';
import { addMember, newTenant, startServer, type TestServer } from '../helpers/server.js';
import { uploadCsv, waitJob } from './jobs.helpers.js';

describe('trust under faults and bad input', () => {
  let srv: TestServer;
  let t: Awaited<ReturnType<typeof newTenant>>;
  beforeAll(async () => {
    srv = await startServer();
    t = await newTenant(srv);
  });
  afterAll(() => srv.close());
  afterEach(() => vi.restoreAllMocks());

  const roomsNamed = (name: string) => srv.container.db.scoped({ tenantId: t.tenant.id }, (tx) => tx.select().from(rooms).where(eq(rooms.name, name)));

  describe('Idempotency-Key is exactly once', () => {
    it('when storing the response fails, the change rolls back with it; the retry does the work once and is then replayed', async () => {
      const key = randomUUID();
      const name = `atomic-${key}`;
      const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      vi.spyOn(idempotencyRepository, 'insertCompleted').mockRejectedValueOnce(lost);
      const first = await t.owner.post('/rooms', { name, capacity: 5 }, { 'Idempotency-Key': key });
      expect(first.status).toBe(503);
      expect(first.body.error.code).toBe('NOT_READY');
      expect(await roomsNamed(name)).toHaveLength(0);

      const retry = await t.owner.post('/rooms', { name, capacity: 5 }, { 'Idempotency-Key': key });
      expect(retry.status, retry.text).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const again = await t.owner.post('/rooms', { name, capacity: 5 }, { 'Idempotency-Key': key });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(again.body.id).toBe(retry.body.id);
      expect(await roomsNamed(name)).toHaveLength(1);
    });

    it('a 4xx is stored and replayed; concurrent duplicates never both run', async () => {
      const key = randomUUID();
      const bad = await t.owner.post('/rooms', { name: '', capacity: 5 }, { 'Idempotency-Key': key });
      expect(bad.status).toBe(400);
      const badAgain = await t.owner.post('/rooms', { name: '', capacity: 5 }, { 'Idempotency-Key': key });
      expect(badAgain.headers.get('idempotent-replayed')).toBe('true');

      const k2 = randomUUID();
      const name = `dup-${k2}`;
      const results = await Promise.all([1, 2, 3, 4].map(() => t.owner.post('/rooms', { name, capacity: 5 }, { 'Idempotency-Key': k2 })));
      for (const r of results) expect([201, 409]).toContain(r.status);
      expect(results.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'))).toHaveLength(1);
      expect(await roomsNamed(name)).toHaveLength(1);
    });
  });

  describe('NUL bytes', () => {
    it('are refused with 400 in bodies and queries, never a 500', async () => {
      const student = await t.owner.post('/students', { firstName: 'Secret\u0000Child', lastName: 'X', dateOfBirth: '2021-01-01' });
      expect(student.status).toBe(400);
      expect(student.body.error.code).toBe('VALIDATION_ERROR');
      expect(student.text).not.toContain('Secret');
      const msg = await t.owner.post('/messages', { audience: { type: 'tenant' }, body: 'a\u0000b' });
      expect(msg.status).toBe(400);
      for (const p of ['/students?q=a%00b', '/audit-logs?action=x%00y', '/rooms?cursor=%00']) {
        const r = await t.owner.get(p);
        expect(r.status, p).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_ERROR');
      }
    });
  });

  describe('contract details', () => {
    it('JSON answers say charset=utf-8, errors included', async () => {
      for (const r of [await srv.agent().get('/health/live'), await srv.agent().get('/rooms'), await t.owner.get('/rooms'), await srv.agent().get('/nope')])
        expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    });

    it('a guardian changing a child they cannot see gets 404; their own child 403', async () => {
      const g = await addMember(srv, t.owner, ['guardian']);
      const own = await t.owner.post('/students', { firstName: 'Own', lastName: 'Kid', dateOfBirth: '2021-02-02' });
      const other = await t.owner.post('/students', { firstName: 'Other', lastName: 'Kid', dateOfBirth: '2021-02-02' });
      const rec = await t.owner.post('/guardians', { firstName: 'Gee', lastName: 'Parent', email: g.email });
      expect((await t.owner.put(`/students/${own.body.id}/guardians/${rec.body.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBeLessThan(300);

      expect((await g.agent.patch(`/students/${other.body.id}`, { notes: 'x' })).status).toBe(404);
      expect((await g.agent.delete(`/students/${other.body.id}`)).status).toBe(404);
      expect((await g.agent.put(`/students/${other.body.id}/guardians/${rec.body.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBe(404);
      const forbidden = await g.agent.patch(`/students/${own.body.id}`, { notes: 'x' });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('FORBIDDEN');
    });
  });

  describe('unavailable dependencies', () => {
    it('a database that went away is 503 NOT_READY, not 500', async () => {
      const gone = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      vi.spyOn(srv.container.db, 'scoped').mockRejectedValue(gone);
      const r = await t.owner.get('/rooms');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('NOT_READY');
    });
  });

  describe('a resumed import', () => {
    it('counts the rows its first attempt wrote as created, not skipped', async () => {
      const N = 650; // two batches of 500
      let csv = 'externalId,firstName,lastName,dateOfBirth\n';
      for (let i = 0; i < N; i++) csv += `R-${i},Kid${i},Resume,2021-01-01\n`;
      // The first attempt dies right after its first batch committed.
      vi.spyOn(jobsRepository, 'progress').mockRejectedValueOnce(new Error('worker lost'));
      const fileId = await uploadCsv(t.owner, csv);
      const start = await t.owner.post('/imports', { type: 'students', fileId });
      expect(start.status, start.text).toBe(202);
      const job = await waitJob(t.owner, start.body.jobId, 30_000);
      expect(job.status).toBe('succeeded');
      expect(job.attempts ?? 2).toBeGreaterThanOrEqual(2);
      expect(job.result).toMatchObject({ created: N, updated: 0, skipped: 0, rows: N });
      const kids = await srv.container.db.scoped({ tenantId: t.tenant.id }, (tx) => tx.select().from(students).where(eq(students.lastName, 'Resume')));
      expect(kids).toHaveLength(N);
    }, 40_000);
  });
});
