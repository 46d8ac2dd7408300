import { and, asc, eq, gt, ilike, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { guardians, studentGuardians, students } from '../models/index.js';
import type { Tx } from './db.js';

export type StudentRow = typeof students.$inferSelect;
export type StudentValues = Pick<StudentRow, 'firstName' | 'lastName' | 'dateOfBirth' | 'roomId' | 'allergies' | 'notes' | 'externalId' | 'status'>;
export type StudentGuardianRow = typeof studentGuardians.$inferSelect;
export type LinkFields = Pick<StudentGuardianRow, 'relationship' | 'authorizedPickup' | 'emergencyContact' | 'canViewRecords'>;
export type GuardianRow = typeof guardians.$inferSelect;

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

function nameSearch(q: string | undefined): SQL | undefined {
  const terms = (q ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5);
  if (!terms.length) return undefined;
  return and(...terms.map((t) => or(ilike(students.firstName, `%${likeEscape(t)}%`), ilike(students.lastName, `%${likeEscape(t)}%`))));
}

export const studentsRepository = {
  async insert(tx: Tx, tenantId: string, values: StudentValues & { id: string }) {
    const [row] = await tx.insert(students).values({ ...values, tenantId }).returning();
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
  async list(tx: Tx, tenantId: string, f: StudentFilter) {
    return tx
      .select()
      .from(students)
      .where(
        and(
          eq(students.tenantId, tenantId),
          f.includeArchived ? undefined : isNull(students.archivedAt),
          f.ids ? inArray(students.id, f.ids) : undefined,
          f.roomId ? eq(students.roomId, f.roomId) : undefined,
          f.status ? eq(students.status, f.status) : undefined,
          nameSearch(f.q),
          f.cursor ? gt(students.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(students.id))
      .limit(f.limit + 1);
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
  async insert(tx: Tx, tenantId: string, values: { studentId: string; guardianId: string } & LinkFields) {
    const [row] = await tx.insert(studentGuardians).values({ ...values, tenantId }).returning();
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
