import { z } from 'zod';
import { CsvError, decodeUtf8, parseCsv } from '../../core/csv.js';
import { newId } from '../../core/ids.js';
import { localDate } from '../../core/time.js';
import { auditRepository } from '../../repositories/audit.repository.js';
import type { Tx } from '../../repositories/db.js';
import { importsRepository, type GuardianRow, type StudentRow } from '../../repositories/imports.repository.js';
import { tenantsRepository } from '../../repositories/tenancy.repository.js';
import { jobsRepository } from '../../repositories/jobs.repository.js';
import { defineJob, PermanentJobError, type JobContext } from '../job-types.js';
import { nameKey, readHeader, validateRow, type Column, type ImportRow, type RowError } from './students-import.rows.js';
import { str } from '../../core/strings.js';

export const BATCH_SIZE = 500;
export const MAX_ERRORS = 1000;
export const MAX_ROWS = 100_000;

const payload = z.object({
  tenantId: str().uuid(),
  fileId: str().uuid(),
  dryRun: z.boolean(),
  createdByMembershipId: str().uuid().nullable(),
});

interface Counts {
  created: number;
  updated: number;
  skipped: number;
}

/**
 * Students import: streams the CSV, validates every row, and upserts students (and guardians) in batches of 500, each
 * batch in one transaction. Matching makes it idempotent — `externalId` when given, else (first name, last name, date
 * of birth) case-insensitively — so running it twice (a retry, or the same file again) creates no duplicates.
 */
export const studentsImportJob = defineJob({
  type: 'import.students',
  payload,
  async run(ctx: JobContext, p) {
    const { db, storage, clock } = ctx.deps;
    if (!storage) throw new Error('File storage is not configured');
    const { tenantId } = p;
    const { file, roomIds, today } = await db.scoped({ tenantId }, async (tx) => {
      const tenant = await tenantsRepository.get(tx, tenantId);
      const file = await importsRepository.file(tx, tenantId, p.fileId);
      if (!tenant) throw new PermanentJobError('The centre no longer exists');
      if (!file || file.purpose !== 'import') throw new PermanentJobError('The import file no longer exists');
      return { file, roomIds: await importsRepository.activeRoomIds(tx, tenantId), today: localDate(clock.now(), tenant.timezone) };
    });

    let bytes = 0;
    const source = await storage.getStream(file.storageKey);
    async function* counted() {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    }

    // A retried job resumes after the rows its earlier attempt committed: their counts come from the checkpoint
    // written in the same transaction as each batch (recounting them would report them all as unchanged).
    const resume = resumePoint(ctx.job.result, p.dryRun);
    const counts: Counts = { created: resume.created, updated: resume.updated, skipped: resume.unchanged };
    let applied = { ...resume };
    const errors: RowError[] = [];
    let errorCount = 0;
    const addError = (e: RowError) => {
      errorCount++;
      if (errors.length < MAX_ERRORS) errors.push(e);
    };
    const seen = new Map<string, number>(); // match key → first data row that used it
    let header: Map<Column, number> | undefined;
    let row = 0;
    let batch: ImportRow[] = [];

    const flush = async () => {
      if (!batch.length) return;
      const rows = batch;
      batch = [];
      const c = await db.scoped({ tenantId }, async (tx) => {
        const c = await applyBatch(tx, tenantId, rows, p.dryRun, clock.now());
        if (!p.dryRun) {
          applied = { throughRow: rows[rows.length - 1]!.row, created: applied.created + c.created, updated: applied.updated + c.updated, unchanged: applied.unchanged + c.skipped };
          await jobsRepository.checkpoint(tx, tenantId, ctx.job.id, { resume: applied }, clock.now());
        }
        return c;
      });
      counts.created += c.created;
      counts.updated += c.updated;
      counts.skipped += c.skipped;
      if (!p.dryRun && (c.created || c.updated))
        await db.scoped({ tenantId }, (tx) =>
          auditRepository.append(tx, { tenantId, actorMembershipId: p.createdByMembershipId, action: 'students.imported', targetType: 'job', targetId: ctx.job.id, after: c }),
        );
      if (file.size > 0) await ctx.progress((bytes / file.size) * 100);
    };

    try {
      for await (const cells of parseCsv(decodeUtf8(counted()))) {
        if (!header) {
          try {
            header = readHeader(cells);
          } catch (e) {
            throw new PermanentJobError((e as Error).message);
          }
          continue;
        }
        row++;
        if (row > MAX_ROWS) throw new PermanentJobError(`The file has more than ${MAX_ROWS} rows; split it`);
        const v = validateRow(cells, header, row, { today, roomIds });
        if ('blank' in v) continue;
        if ('errors' in v) {
          v.errors.forEach(addError);
          counts.skipped++;
          continue;
        }
        const key = v.ok.externalId ? `x\u0000${v.ok.externalId}` : nameKey(v.ok.firstName, v.ok.lastName, v.ok.dateOfBirth);
        const first = seen.get(key);
        if (first !== undefined) {
          addError({ row, field: v.ok.externalId ? 'externalId' : 'firstName', message: `repeats the child of row ${first}` });
          counts.skipped++;
          continue;
        }
        seen.set(key, row);
        if (row <= resume.throughRow) continue; // committed by an earlier attempt, counted in the checkpoint
        batch.push(v.ok);
        if (batch.length >= BATCH_SIZE) await flush();
      }
      await flush();
    } catch (e) {
      if (e instanceof CsvError) throw new PermanentJobError(`The file is not a valid CSV: ${e.message}`);
      throw e;
    }
    if (!header) throw new PermanentJobError('The file is empty (a header row is required)');
    return { ...counts, rows: row, dryRun: p.dryRun, errors, ...(errorCount > errors.length ? { errorsTruncated: true, errorCount } : {}) };
  },
});

interface ResumePoint {
  /** The last data row whose batch committed. */
  throughRow: number;
  created: number;
  updated: number;
  unchanged: number;
}

function resumePoint(result: unknown, dryRun: boolean): ResumePoint {
  const r = (result as { resume?: Partial<ResumePoint> } | null)?.resume;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
  if (dryRun || !r) return { throughRow: 0, created: 0, updated: 0, unchanged: 0 };
  return { throughRow: n(r.throughRow), created: n(r.created), updated: n(r.updated), unchanged: n(r.unchanged) };
}

/** Matches, creates and updates one batch inside its transaction; with `dryRun` it only counts. */
async function applyBatch(tx: Tx, tenantId: string, rows: ImportRow[], dryRun: boolean, now: Date): Promise<Counts> {
  const counts: Counts = { created: 0, updated: 0, skipped: 0 };
  const byExternal = new Map<string, StudentRow>();
  for (const s of await importsRepository.studentsByExternalIds(tx, tenantId, rows.flatMap((r) => (r.externalId ? [r.externalId] : []))))
    byExternal.set(s.externalId!, s);
  const byName = new Map<string, StudentRow>();
  const nameCandidates = rows.filter((r) => !r.externalId || !byExternal.has(r.externalId));
  for (const s of await importsRepository.studentsByNameKeys(tx, tenantId, nameCandidates.map((r) => ({ first: r.firstName, last: r.lastName, dob: r.dateOfBirth })))) {
    const k = nameKey(s.firstName, s.lastName, s.dateOfBirth);
    const prev = byName.get(k);
    if (!prev || (prev.archivedAt && !s.archivedAt)) byName.set(k, s); // prefer a current child over an archived one
  }

  const matched: { row: ImportRow; student: StudentRow | null }[] = rows.map((r) => {
    let s = r.externalId ? byExternal.get(r.externalId) : undefined;
    if (!s) {
      const cand = byName.get(nameKey(r.firstName, r.lastName, r.dateOfBirth));
      // A row with an id matches a same-name child only if that child has no id of its own yet.
      if (cand && (!r.externalId || cand.externalId === null)) s = cand;
    }
    return { row: r, student: s ?? null };
  });

  const emails = [...new Set(rows.flatMap((r) => (r.guardian?.email ? [r.guardian.email] : [])))];
  const guardiansByEmail = new Map<string, GuardianRow>();
  for (const g of await importsRepository.guardiansByEmails(tx, tenantId, emails)) if (!guardiansByEmail.has(g.email!)) guardiansByEmail.set(g.email!, g);
  const existingIds = matched.flatMap((m) => (m.student && m.row.guardian ? [m.student.id] : []));
  const links = await importsRepository.linkedGuardians(tx, tenantId, existingIds);

  const inserts: Parameters<typeof importsRepository.insertStudents>[1] = [];
  const guardianInserts: Parameters<typeof importsRepository.insertGuardians>[1] = [];
  const linkWrites = new Map<string, Parameters<typeof importsRepository.upsertLinks>[1][number]>();
  for (const { row: r, student: s } of matched) {
    let studentId: string;
    let changed = false;
    if (!s) {
      studentId = newId();
      inserts.push({
        id: studentId,
        tenantId,
        firstName: r.firstName,
        lastName: r.lastName,
        dateOfBirth: r.dateOfBirth,
        externalId: r.externalId,
        roomId: r.roomId ?? null,
        status: r.status ?? 'enrolled',
        allergies: r.allergies ?? null,
        notes: r.notes ?? null,
      });
    } else {
      studentId = s.id;
      const patch: Partial<StudentRow> = {};
      if (s.firstName !== r.firstName) patch.firstName = r.firstName;
      if (s.lastName !== r.lastName) patch.lastName = r.lastName;
      if (r.externalId && s.externalId !== r.externalId) patch.externalId = r.externalId;
      if (r.roomId !== undefined && s.roomId !== r.roomId) patch.roomId = r.roomId;
      if (r.status !== undefined && s.status !== r.status) patch.status = r.status;
      if (r.allergies !== undefined && s.allergies !== r.allergies) patch.allergies = r.allergies;
      if (r.notes !== undefined && s.notes !== r.notes) patch.notes = r.notes;
      if (Object.keys(patch).length) {
        changed = true;
        if (!dryRun) await importsRepository.updateStudent(tx, tenantId, s.id, patch, now);
      }
    }

    const g = r.guardian;
    if (g) {
      const own = s ? links.filter((l) => l.studentId === s.id) : [];
      let guardian: GuardianRow | undefined = g.email
        ? guardiansByEmail.get(g.email)
        : own.find((l) => l.guardian.firstName.toLowerCase() === g.firstName.toLowerCase() && l.guardian.lastName.toLowerCase() === g.lastName.toLowerCase())?.guardian;
      if (!guardian) {
        guardian = { id: newId(), tenantId, firstName: g.firstName, lastName: g.lastName, email: g.email, phone: g.phone } as GuardianRow;
        guardianInserts.push({ id: guardian.id, tenantId, firstName: g.firstName, lastName: g.lastName, email: g.email, phone: g.phone });
        if (g.email) guardiansByEmail.set(g.email, guardian);
      }
      const link = own.find((l) => l.guardian.id === guardian!.id);
      if (!link || link.relationship !== g.relationship || link.authorizedPickup !== g.authorizedPickup) {
        changed = true;
        // Written after the students they point to; one row per (student, guardian) in one statement.
        linkWrites.set(`${studentId}:${guardian.id}`, { tenantId, studentId, guardianId: guardian.id, relationship: g.relationship, authorizedPickup: g.authorizedPickup });
      }
    }
    if (!s) counts.created++;
    else if (changed) counts.updated++;
    else counts.skipped++;
  }
  if (!dryRun) {
    await importsRepository.insertStudents(tx, inserts);
    await importsRepository.insertGuardians(tx, guardianInserts);
    await importsRepository.upsertLinks(tx, [...linkWrites.values()], now);
  }
  return counts;
}
