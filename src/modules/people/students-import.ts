import type { JobActor } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { localDate } from '../../core/time.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database, type Tx } from '../../db/db.js';
import { importsRepository, type GuardianRow, type StudentRow } from './imports.repository.js';
import { jobsRepository } from '../imports-reports/jobs.repository.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import type { Clock } from '../../core/clock.js';
import { LeaseLostError } from '../../kernel/job-payloads.js';
import { nameKey, type ImportRow } from './students-import.rows.js';

export interface ImportCounts {
  created: number;
  updated: number;
  skipped: number;
}
type Counts = ImportCounts;

/**
 * The students import's writes, part of the students service: rows already validated by the students' rules
 * (students-import.rows.ts) are matched — `externalId` when given, else (first name, last name, date of birth)
 * case-insensitively, so a re-import creates no duplicates — and created or updated in one transaction per batch,
 * with their audit rows in that same transaction.
 */
export function createStudentsImport({
  db,
  clock,
  studentDto,
  audit = auditRepository,
}: {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  studentDto: (s: StudentRow) => unknown;
  audit?: Pick<AuditRepository, 'append' | 'appendMany'>;
}) {
  return {
    /** What validating rows needs: the centre's today and its live rooms. undefined when the centre is gone. */
    async importContext(actor: JobActor) {
      return db.scoped(forTenant(actor), async (tx) => {
        const tenant = await tenantsRepository.get(tx, actor.tenantId);
        if (!tenant) return undefined;
        return { today: localDate(clock.now(), tenant.timezone), roomIds: await importsRepository.activeRoomIds(tx, actor.tenantId) };
      });
    },

    /**
     * One batch in one transaction: the children, guardians and links, a `student.created` audit row per new child and
     * the import's own `students.imported` row. With `dryRun` it only counts.
     */
    async importBatch(
      actor: JobActor,
      rows: ImportRow[],
      opts: { dryRun: boolean; checkpoint?: (counts: ImportCounts) => unknown },
    ): Promise<ImportCounts> {
      const { tenantId } = actor;
      return db.scoped(forTenant(tenantId), async (tx) => {
        // One run per job: the batch commits only while this run holds the job's lease (a takeover waits for it).
        if (actor.runToken !== undefined && !(await jobsRepository.holds(tx, tenantId, actor.jobId, actor.runToken))) throw new LeaseLostError();
        // Imports of one centre are serialised batch by batch: the same file imported twice at once matches the
        // children the other import committed instead of creating them again.
        if (!opts.dryRun) await importsRepository.lockCentreImports(tx, tenantId);
        const { inserted, ...c } = await applyBatch(tx, tenantId, rows, opts.dryRun, clock.now());
        // The job's resume point commits with the rows it counts (a retry after a crash skips them, counted once).
        if (!opts.dryRun && opts.checkpoint) await jobsRepository.checkpoint(tx, tenantId, actor.jobId, opts.checkpoint(c), clock.now());
        if (opts.dryRun || (!c.created && !c.updated)) return c;
        const by = { tenantId, actorMembershipId: actor.membershipId };
        await audit.appendMany(
          tx,
          inserted.map((s) => ({ ...by, action: 'student.created', targetType: 'student', targetId: s.id, after: studentDto(s) })),
        );
        await audit.append(tx, { ...by, action: 'students.imported', targetType: 'job', targetId: actor.jobId, after: c });
        return c;
      });
    },
  };
}

/** Matches, creates and updates one batch inside its transaction; with `dryRun` it only counts. */
async function applyBatch(tx: Tx, tenantId: string, rows: ImportRow[], dryRun: boolean, now: Date): Promise<Counts & { inserted: StudentRow[] }> {
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
  let inserted: StudentRow[] = [];
  if (!dryRun) {
    inserted = await importsRepository.insertStudents(tx, inserts);
    await importsRepository.insertGuardians(tx, guardianInserts);
    await importsRepository.upsertLinks(tx, [...linkWrites.values()], now);
  }
  return { ...counts, inserted };
}
