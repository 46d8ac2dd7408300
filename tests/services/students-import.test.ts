import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { auditLogs, students, tenants } from '../../src/models/index.js';
import { auditRepository } from '../../src/db/audit.repository.js';
import type { Database } from '../../src/db/db.js';
import type { ImportRow } from '../../src/modules/people/students-import.rows.js';
import { createStudentsService } from '../../src/modules/people/students.service.js';
import { createJobFence } from '../../src/modules/imports-reports/index.js';
import { openTestDatabase } from '../helpers/engines.js';
import { fixedClock } from './fakes.js';

/** A file the import reads: the CSV's bytes in two chunks (a row cut in the middle). */
const csvFile = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return {
    size: bytes.byteLength,
    open: async () =>
      (async function* () {
        yield bytes.slice(0, 20);
        yield bytes.slice(20);
      })(),
  };
};
const importsOf = (files: Record<string, ReturnType<typeof csvFile>> = {}) => ({
  files: { openImportFile: async (_tenantId: string, fileId: string) => files[fileId] },
  jobs: createJobFence({ clock: fixedClock() }),
});

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
    const service = createStudentsService({ db, clock: fixedClock(), imports: importsOf() });
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
    const service = createStudentsService({ db, clock: fixedClock(), imports: importsOf() });
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
    const service = createStudentsService({ db, clock: fixedClock(), imports: importsOf(), repositories: { audit: failingAudit } });
    await expect(service.importBatch(actor, [row(1), row(2)], { dryRun: false })).rejects.toThrow('audit unavailable');
    expect(await studentsOf(actor.tenantId)).toEqual([]);
    expect(await db.scoped({ tenantId: actor.tenantId }, (tx) => tx.select().from(auditLogs).where(and(eq(auditLogs.tenantId, actor.tenantId), eq(auditLogs.action, 'student.created'))))).toEqual([]);
  });

  it('imports a file: rows validated, repeats reported, a new guardian and link audited as their single creates are', async () => {
    const actor = await centre();
    const fileId = newId();
    const csv =
      'firstName,lastName,dateOfBirth,guardianFirstName,guardianLastName,guardianEmail,guardianAuthorizedPickup\n' +
      'Ann,File,2022-01-01,Gail,File,GAIL@example.test,yes\n' +
      'Bo,File,2022-02-02,Gail,File,gail@example.test,no\n' +
      'ann,FILE,2022-01-01,,,,\n' +
      'Cy,File,2099-01-01,,,,\n';
    const service = createStudentsService({ db, clock: fixedClock(), imports: importsOf({ [fileId]: csvFile(csv) }) });
    const progress: number[] = [];
    const result = await service.importFile(actor, { fileId, dryRun: false }, { previous: null, progress: async (p) => void progress.push(p) });
    expect(result).toMatchObject({ created: 2, updated: 0, skipped: 2, rows: 4, dryRun: false });
    expect(result.errors).toEqual([
      { row: 3, field: 'firstName', message: 'repeats the child of row 1' },
      { row: 4, field: 'dateOfBirth', message: 'must not be in the future' },
    ]);
    expect(progress).toEqual([100]);
    const actions = (await auditOf(actor.tenantId)).map((r) => r.action).sort();
    expect(actions).toEqual(['guardian.created', 'student.created', 'student.created', 'student_guardian.linked', 'student_guardian.linked', 'students.imported']);
    const link = (await auditOf(actor.tenantId)).find((r) => r.action === 'student_guardian.linked')!;
    expect(link.after).toMatchObject({ authorizedPickup: true, relationship: 'guardian', emergencyContact: false, canViewRecords: true, version: 1 });

    // The same file again: every child matched, nothing written; a missing file is a permanent failure.
    expect(await service.importFile(actor, { fileId, dryRun: false }, { previous: null, progress: async () => {} })).toMatchObject({ created: 0, updated: 0, skipped: 4 });
    expect(await auditOf(actor.tenantId)).toHaveLength(6);
    await expect(service.importFile(actor, { fileId: newId(), dryRun: false }, { previous: null, progress: async () => {} })).rejects.toThrow('The import file no longer exists');
  });

  it('resumes after the rows an earlier attempt committed, with their counts from its checkpoint', async () => {
    const actor = await centre();
    const fileId = newId();
    const csv = 'firstName,lastName,dateOfBirth\nA,Resume,2022-01-01\nB,Resume,2022-01-02\nC,Resume,2022-01-03\n';
    const service = createStudentsService({ db, clock: fixedClock(), imports: importsOf({ [fileId]: csvFile(csv) }) });
    const previous = { resume: { throughRow: 2, created: 2, updated: 0, unchanged: 0 } };
    expect(await service.importFile(actor, { fileId, dryRun: false }, { previous, progress: async () => {} })).toMatchObject({ created: 3, updated: 0, skipped: 0, rows: 3 });
    expect((await studentsOf(actor.tenantId)).map((s) => s.firstName)).toEqual(['C']);
  });
});
