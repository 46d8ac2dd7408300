import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { guardians, studentGuardians, students } from '../../models/index.js';
import { queryRows, type Tx } from '../../db/db.js';
import { isoText } from '../../db/columns-sql.js';

export type StudentRow = typeof students.$inferSelect;
/** What a child's DTO is made from: every column but the tenant. */
export type StudentListRow = Omit<StudentRow, 'tenantId'>;
/** A child as the API answers it (the students service's DTO). */
export interface StudentItem {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  roomId: string | null;
  allergies: string | null;
  notes: string | null;
  externalId: string | null;
  status: StudentRow['status'];
  photoFileId: string | null;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}
/** The list's select list: the DTO itself, in its key order, times formatted by PostgreSQL (no mapping per row). */
const LIST_ITEM = `id, first_name as "firstName", last_name as "lastName", date_of_birth::text as "dateOfBirth", room_id as "roomId", allergies, notes,
  external_id as "externalId", status, photo_file_id as "photoFileId", ${isoText('archived_at')} as "archivedAt", ${isoText('created_at')} as "createdAt",
  ${isoText('updated_at')} as "updatedAt", version`;
export type StudentValues = Pick<StudentRow, 'firstName' | 'lastName' | 'dateOfBirth' | 'roomId' | 'allergies' | 'notes' | 'externalId' | 'status'>;
export type StudentGuardianRow = typeof studentGuardians.$inferSelect;
export type LinkFields = Pick<StudentGuardianRow, 'relationship' | 'authorizedPickup' | 'emergencyContact' | 'canViewRecords'>;

export interface StudentFilter {
  cursor?: string;
  limit: number;
  includeArchived?: boolean;
  roomId?: string;
  status?: StudentRow['status'];
  /** Every whitespace-separated term must match the first or the last name (case-insensitive, substring). */
  q?: string;
  ids?: string[];
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** Every whitespace-separated term (at most 5) must match the first or the last name. */
const searchTerms = (q: string | undefined) => (q ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5);

export const studentsRepository = {
  /** The one insert of children: a single create and the import's batches. */
  async insertMany(tx: Tx, tenantId: string, values: (StudentValues & { id: string })[]) {
    if (!values.length) return [];
    return tx
      .insert(students)
      .values(values.map((v) => ({ ...v, tenantId })))
      .returning();
  },
  async insert(tx: Tx, tenantId: string, values: StudentValues & { id: string }) {
    const [row] = await studentsRepository.insertMany(tx, tenantId, [values]);
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(students).where(and(eq(students.tenantId, tenantId), eq(students.id, id)));
    return row;
  },
  /** Locks the child against concurrent link changes without blocking foreign-key checks (attendance inserts). */
  async lockForLinks(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(students).where(and(eq(students.tenantId, tenantId), eq(students.id, id))).for('no key update');
    return row;
  },
  /** Reads and row-locks for a change: concurrent writers queue instead of failing the version check. */
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(students).where(and(eq(students.tenantId, tenantId), eq(students.id, id))).for('update');
    return row;
  },
  /** Serialises the import batches of one centre until the transaction ends (a transaction-scoped advisory lock). */
  async lockImports(tx: Tx, tenantId: string) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`students-import:${tenantId}`}, 0))`);
  },
  /** The import's matching by external id: the children found are row-locked for the batch's changes (as getForUpdate). */
  async lockByExternalIds(tx: Tx, tenantId: string, externalIds: string[]) {
    if (!externalIds.length) return [];
    return tx
      .select()
      .from(students)
      .where(and(eq(students.tenantId, tenantId), inArray(students.externalId, externalIds)))
      .orderBy(students.id)
      .for('no key update');
  },
  /** The import's matching by (lower(first), lower(last), dateOfBirth) keys: the children found are row-locked too. */
  async lockByNameKeys(tx: Tx, tenantId: string, keys: { first: string; last: string; dob: string }[]) {
    if (!keys.length) return [];
    // One JSON parameter, not a long tuple list: a 500-branch OR overflows the parser's stack on PGlite.
    const json = JSON.stringify(keys.map((k) => ({ f: k.first.toLowerCase(), l: k.last.toLowerCase(), d: k.dob })));
    return tx
      .select()
      .from(students)
      .where(
        and(
          eq(students.tenantId, tenantId),
          sql`(lower(${students.firstName}), lower(${students.lastName}), ${students.dateOfBirth}) in (select k.f, k.l, k.d from jsonb_to_recordset(${json}::jsonb) as k(f text, l text, d date))`,
        ),
      )
      .orderBy(students.id)
      .for('no key update');
  },
  /** The hot list (GET /students), written as SQL: its rows are the DTOs the API answers with. */
  async list(tx: Tx, tenantId: string, f: StudentFilter): Promise<StudentItem[]> {
    const values: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    const add = (condition: (param: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (!f.includeArchived) where.push('archived_at is null');
    if (f.ids) add((p) => `id = any(${p}::uuid[])`, f.ids);
    if (f.roomId) add((p) => `room_id = ${p}`, f.roomId);
    if (f.status) add((p) => `status = ${p}`, f.status);
    for (const t of searchTerms(f.q)) add((p) => `(first_name ilike ${p} or last_name ilike ${p})`, `%${likeEscape(t)}%`);
    if (f.cursor) add((p) => `id > ${p}`, f.cursor);
    values.push(f.limit + 1);
    return queryRows<StudentItem>(tx, `select ${LIST_ITEM} from students where ${where.join(' and ')} order by id limit $${values.length}`, values);
  },
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<StudentValues> & { archivedAt?: Date }, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(students)
      .set({ ...patch, updatedAt: now, version: sql`${students.version} + 1` })
      .where(and(eq(students.tenantId, tenantId), eq(students.id, id), eq(students.version, expectedVersion)))
      .returning();
    return row;
  },
};

export const studentGuardiansRepository = {
  async get(tx: Tx, tenantId: string, studentId: string, guardianId: string) {
    const [row] = await tx
      .select()
      .from(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, tenantId), eq(studentGuardians.studentId, studentId), eq(studentGuardians.guardianId, guardianId)));
    return row;
  },
  /** The one insert of links: a single PUT and the import's batches. */
  async insertMany(tx: Tx, tenantId: string, values: ({ studentId: string; guardianId: string } & LinkFields)[]) {
    if (!values.length) return [];
    return tx
      .insert(studentGuardians)
      .values(values.map((v) => ({ ...v, tenantId })))
      .returning();
  },
  async insert(tx: Tx, tenantId: string, values: { studentId: string; guardianId: string } & LinkFields) {
    const [row] = await studentGuardiansRepository.insertMany(tx, tenantId, [values]);
    return row!;
  },
  async update(tx: Tx, tenantId: string, studentId: string, guardianId: string, patch: LinkFields, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(studentGuardians)
      .set({ ...patch, updatedAt: now, version: sql`${studentGuardians.version} + 1` })
      .where(
        and(
          eq(studentGuardians.tenantId, tenantId),
          eq(studentGuardians.studentId, studentId),
          eq(studentGuardians.guardianId, guardianId),
          eq(studentGuardians.version, expectedVersion),
        ),
      )
      .returning();
    return row;
  },
  async delete(tx: Tx, tenantId: string, studentId: string, guardianId: string) {
    await tx
      .delete(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, tenantId), eq(studentGuardians.studentId, studentId), eq(studentGuardians.guardianId, guardianId)));
  },
  /** The links of these children with their guardians (the import matches a guardian given without an email by name). */
  async linksOf(tx: Tx, tenantId: string, studentIds: string[]) {
    if (!studentIds.length) return [];
    return tx
      .select({ guardian: guardians, link: studentGuardians })
      .from(studentGuardians)
      .innerJoin(guardians, and(eq(guardians.tenantId, studentGuardians.tenantId), eq(guardians.id, studentGuardians.guardianId)))
      .where(and(eq(studentGuardians.tenantId, tenantId), inArray(studentGuardians.studentId, studentIds)));
  },
  /** A child's guardians with the link fields, ordered by guardian id (keyset). */
  async guardiansOf(tx: Tx, tenantId: string, studentId: string) {
    return tx
      .select({ guardian: guardians, link: studentGuardians })
      .from(studentGuardians)
      .innerJoin(guardians, and(eq(guardians.tenantId, studentGuardians.tenantId), eq(guardians.id, studentGuardians.guardianId)))
      .where(and(eq(studentGuardians.tenantId, tenantId), eq(studentGuardians.studentId, studentId)))
      .orderBy(asc(guardians.id));
  },
};
