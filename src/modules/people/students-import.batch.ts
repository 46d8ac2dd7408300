import { newId } from '../../core/ids.js';
import type { AuditRepository } from '../../db/audit.repository.js';
import type { Tx } from '../../db/db.js';
import { createRecordedMany, type Creator } from '../../kernel/recorded-create.js';
import { guardiansRepository, type GuardianRow, type GuardianValues } from './guardians.repository.js';
import { guardianDto } from './guardians.service.js';
import { studentGuardiansRepository, studentsRepository, type StudentGuardianRow, type StudentRow, type StudentValues } from './students.repository.js';
import { nameKey, type ImportRow } from './students-import.rows.js';

export interface ImportCounts {
  created: number;
  updated: number;
  skipped: number;
}

/** What the batch writes its audit rows with: the DTOs a single create audits, and the audit repository. */
export interface BatchWriting {
  studentDto: (s: StudentRow) => unknown;
  linkDto: (l: StudentGuardianRow) => unknown;
  audit: Pick<AuditRepository, 'appendMany'>;
}

interface LinkWrite {
  studentId: string;
  guardianId: string;
  relationship: string;
  authorizedPickup: boolean;
  /** The link as it was read (an update), or undefined (a new link). */
  before: StudentGuardianRow | undefined;
}

/**
 * Matches, creates and updates one batch inside its transaction; with `dryRun` it only counts. The writes go through
 * the people repositories' own inserts and compare-and-set updates, and every record created gets the audit row a
 * single create writes (`student.created`, `guardian.created`, `student_guardian.linked`).
 */
export async function applyBatch(tx: Tx, by: Creator, rows: ImportRow[], dryRun: boolean, now: Date, w: BatchWriting): Promise<ImportCounts> {
  const { tenantId } = by;
  const counts: ImportCounts = { created: 0, updated: 0, skipped: 0 };
  // The children matched are row-locked until the batch commits: their versions hold for the updates below.
  const byExternal = new Map<string, StudentRow>();
  for (const s of await studentsRepository.lockByExternalIds(tx, tenantId, rows.flatMap((r) => (r.externalId ? [r.externalId] : []))))
    byExternal.set(s.externalId!, s);
  const byName = new Map<string, StudentRow>();
  const nameCandidates = rows.filter((r) => !r.externalId || !byExternal.has(r.externalId));
  for (const s of await studentsRepository.lockByNameKeys(tx, tenantId, nameCandidates.map((r) => ({ first: r.firstName, last: r.lastName, dob: r.dateOfBirth })))) {
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
  for (const g of await guardiansRepository.liveByEmails(tx, tenantId, emails)) if (!guardiansByEmail.has(g.email!)) guardiansByEmail.set(g.email!, g);
  const existingIds = matched.flatMap((m) => (m.student && m.row.guardian ? [m.student.id] : []));
  const links = await studentGuardiansRepository.linksOf(tx, tenantId, existingIds);

  const inserts: (StudentValues & { id: string })[] = [];
  const guardianInserts: (GuardianValues & { id: string })[] = [];
  const linkWrites = new Map<string, LinkWrite>();
  // Two rows may match one child (one by its id, one by its name): the second compares with the first's write.
  const current = new Map<string, StudentRow>();
  for (const { row: r, student: found } of matched) {
    const s = found && (current.get(found.id) ?? found);
    let studentId: string;
    let changed = false;
    if (!s) {
      studentId = newId();
      inserts.push({
        id: studentId,
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
      const patch: Partial<StudentValues> = {};
      if (s.firstName !== r.firstName) patch.firstName = r.firstName;
      if (s.lastName !== r.lastName) patch.lastName = r.lastName;
      if (r.externalId && s.externalId !== r.externalId) patch.externalId = r.externalId;
      if (r.roomId !== undefined && s.roomId !== r.roomId) patch.roomId = r.roomId;
      if (r.status !== undefined && s.status !== r.status) patch.status = r.status;
      if (r.allergies !== undefined && s.allergies !== r.allergies) patch.allergies = r.allergies;
      if (r.notes !== undefined && s.notes !== r.notes) patch.notes = r.notes;
      if (Object.keys(patch).length) {
        changed = true;
        if (!dryRun) {
          const after = await studentsRepository.update(tx, tenantId, s.id, patch, s.version, now);
          // Cannot happen under the row lock taken above; a guard, not a path.
          if (!after) throw new Error(`import: the child ${s.id} changed under its row lock`);
          current.set(s.id, after);
        }
      }
    }

    const g = r.guardian;
    if (g) {
      const own = s ? links.filter((l) => l.link.studentId === s.id) : [];
      let guardian: GuardianRow | undefined = g.email
        ? guardiansByEmail.get(g.email)
        : own.find((l) => l.guardian.firstName.toLowerCase() === g.firstName.toLowerCase() && l.guardian.lastName.toLowerCase() === g.lastName.toLowerCase())?.guardian;
      if (!guardian) {
        guardian = { id: newId(), tenantId, firstName: g.firstName, lastName: g.lastName, email: g.email, phone: g.phone } as GuardianRow;
        guardianInserts.push({ id: guardian.id, firstName: g.firstName, lastName: g.lastName, email: g.email, phone: g.phone });
        if (g.email) guardiansByEmail.set(g.email, guardian);
      }
      const link = own.find((l) => l.guardian.id === guardian!.id)?.link;
      if (!link || link.relationship !== g.relationship || link.authorizedPickup !== g.authorizedPickup) {
        changed = true;
        // Written after the children they point to; one write per (child, guardian), the last row's.
        linkWrites.set(`${studentId}:${guardian.id}`, { studentId, guardianId: guardian.id, relationship: g.relationship, authorizedPickup: g.authorizedPickup, before: link });
      }
    }
    if (!s) counts.created++;
    else if (changed) counts.updated++;
    else counts.skipped++;
  }
  if (dryRun) return counts;

  await createRecordedMany(tx, by, { action: 'student.created', targetType: 'student', insert: () => studentsRepository.insertMany(tx, tenantId, inserts), dto: w.studentDto }, w.audit);
  await createRecordedMany(tx, by, { action: 'guardian.created', targetType: 'guardian', insert: () => guardiansRepository.insertMany(tx, tenantId, guardianInserts), dto: guardianDto }, w.audit);
  const writes = [...linkWrites.values()];
  await createRecordedMany(
    tx,
    by,
    {
      action: 'student_guardian.linked',
      targetType: 'student_guardian',
      targetId: (l) => `${l.studentId}:${l.guardianId}`,
      // A new link takes the defaults of PUT /students/{id}/guardians/{guardianId} for the fields the CSV lacks.
      insert: () =>
        studentGuardiansRepository.insertMany(
          tx,
          tenantId,
          writes.filter((l) => !l.before).map(({ before: _, ...l }) => ({ ...l, emergencyContact: false, canViewRecords: true })),
        ),
      dto: w.linkDto,
    },
    w.audit,
  );
  for (const { before, ...l } of writes) {
    if (!before) continue;
    const fields = { relationship: l.relationship, authorizedPickup: l.authorizedPickup, emergencyContact: before.emergencyContact, canViewRecords: before.canViewRecords };
    // The child's row lock serialises link changes (as PUT's lockForLinks): the version holds.
    if (!(await studentGuardiansRepository.update(tx, tenantId, l.studentId, l.guardianId, fields, before.version, now)))
      throw new Error(`import: the link ${l.studentId}:${l.guardianId} changed under its child's row lock`);
  }
  return counts;
}
