import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { auditLogs, students, tenants } from '../../src/models/index.js';
import { auditRepository } from '../../src/db/audit.repository.js';
import type { Database } from '../../src/db/db.js';
import type { ImportRow } from '../../src/modules/people/students-import.rows.js';
import { createStudentsService } from '../../src/modules/people/students.service.js';
import { openTestDatabase } from '../helpers/engines.js';
import { fixedClock } from './fakes.js';

/** The import's writes go through the students service: tested directly on an embedded database, no HTTP, no queue. */
describe('students service: import batches', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });
  afterAll(() => db?.close());

  async function centre() {
    const tenantId = newId();
    await db.scoped({ tenantId }, (tx) => tx.insert(tenants).values({ id: tenantId, name: 'Import centre', timezone: 'UTC' }));
    return { tenantId, membershipId: null, jobId: newId() };
  }
  const row = (n: number, o: Partial<ImportRow> = {}): ImportRow => ({
    row: n,
    firstName: `Kid${n}`,
    lastName: 'Imported',
    dateOfBirth: '2022-01-0' + n,
    externalId: null,
    roomId: undefined,
    status: undefined,
    allergies: undefined,
    notes: undefined,
    ...o,
  });
  const auditOf = (tenantId: string) => db.scoped({ tenantId }, (tx) => tx.select().from(auditLogs).where(eq(auditLogs.tenantId, tenantId)).orderBy(auditLogs.id));
  const studentsOf = (tenantId: string) => db.scoped({ tenantId }, (tx) => tx.select().from(students).where(eq(students.tenantId, tenantId)));

  it('writes a student.created row per new child and the import’s own row, with the children', async () => {
    const actor = await centre();
    const service = createStudentsService({ db, clock: fixedClock() });
    expect(await service.importContext(actor)).toMatchObject({ today: '2026-03-09' });
    const counts = await service.importBatch(actor, [row(1), row(2)], { dryRun: false });
    expect(counts).toEqual({ created: 2, updated: 0, skipped: 0 });
    const kids = await studentsOf(actor.tenantId);
    const log = await auditOf(actor.tenantId);
    expect(log.map((r) => r.action).sort()).toEqual(['student.created', 'student.created', 'students.imported']);
    expect(log.filter((r) => r.action === 'student.created').map((r) => r.targetId).sort()).toEqual(kids.map((k) => k.id).sort());
    expect(log.find((r) => r.action === 'student.created')!.after).toMatchObject({ lastName: 'Imported', version: 1 });
    expect(log.find((r) => r.action === 'students.imported')).toMatchObject({ targetType: 'job', targetId: actor.jobId, after: counts });

    // The same rows again match the same children: nothing created, nothing audited.
    expect(await service.importBatch(actor, [row(1), row(2)], { dryRun: false })).toEqual({ created: 0, updated: 0, skipped: 2 });
    expect(await auditOf(actor.tenantId)).toHaveLength(3);
  });

  it('a dry run counts and writes nothing', async () => {
    const actor = await centre();
    const service = createStudentsService({ db, clock: fixedClock() });
    expect(await service.importBatch(actor, [row(1)], { dryRun: true })).toEqual({ created: 1, updated: 0, skipped: 0 });
    expect(await studentsOf(actor.tenantId)).toEqual([]);
    expect(await auditOf(actor.tenantId)).toEqual([]);
  });

  it('the audit row is in the batch’s transaction: when it cannot be written, the children are not written either', async () => {
    const actor = await centre();
    const failingAudit = {
      appendMany: auditRepository.appendMany,
      async append() {
        throw new Error('audit unavailable');
      },
    };
    const service = createStudentsService({ db, clock: fixedClock(), repositories: { audit: failingAudit } });
    await expect(service.importBatch(actor, [row(1), row(2)], { dryRun: false })).rejects.toThrow('audit unavailable');
    expect(await studentsOf(actor.tenantId)).toEqual([]);
    expect(await db.scoped({ tenantId: actor.tenantId }, (tx) => tx.select().from(auditLogs).where(and(eq(auditLogs.tenantId, actor.tenantId), eq(auditLogs.action, 'student.created'))))).toEqual([]);
  });
});
