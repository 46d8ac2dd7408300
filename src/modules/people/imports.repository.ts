import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { files, guardians, rooms, studentGuardians, students } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type StudentRow = typeof students.$inferSelect;
export type GuardianRow = typeof guardians.$inferSelect;

/** Queries of the students import (batches of a few hundred rows per transaction). */
export const importsRepository = {
  /** Serialises the import batches of one centre until the transaction ends (a transaction-scoped advisory lock). */
  async lockCentreImports(tx: Tx, tenantId: string) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`students-import:${tenantId}`}, 0))`);
  },
  async file(tx: Tx, tenantId: string, fileId: string) {
    const [row] = await tx
      .select({ id: files.id, purpose: files.purpose, status: files.status, storageKey: files.storageKey, size: files.size })
      .from(files)
      .where(and(eq(files.tenantId, tenantId), eq(files.id, fileId)));
    return row;
  },
  async activeRoomIds(tx: Tx, tenantId: string) {
    const rows = await tx.select({ id: rooms.id }).from(rooms).where(and(eq(rooms.tenantId, tenantId), isNull(rooms.archivedAt)));
    return new Set(rows.map((r) => r.id));
  },
  async studentsByExternalIds(tx: Tx, tenantId: string, externalIds: string[]) {
    if (!externalIds.length) return [];
    return tx.select().from(students).where(and(eq(students.tenantId, tenantId), inArray(students.externalId, externalIds)));
  },
  /** Students matching any (lower(first), lower(last), dateOfBirth) key. */
  async studentsByNameKeys(tx: Tx, tenantId: string, keys: { first: string; last: string; dob: string }[]) {
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
      .orderBy(students.id);
  },
  async insertStudents(tx: Tx, values: (typeof students.$inferInsert)[]) {
    if (!values.length) return [];
    return tx.insert(students).values(values).returning();
  },
  async updateStudent(tx: Tx, tenantId: string, id: string, patch: Partial<typeof students.$inferInsert>, now: Date) {
    await tx
      .update(students)
      .set({ ...patch, updatedAt: now, version: sql`${students.version} + 1` })
      .where(and(eq(students.tenantId, tenantId), eq(students.id, id)));
  },
  async guardiansByEmails(tx: Tx, tenantId: string, emails: string[]) {
    if (!emails.length) return [];
    return tx
      .select()
      .from(guardians)
      .where(and(eq(guardians.tenantId, tenantId), inArray(guardians.email, emails), isNull(guardians.archivedAt)))
      .orderBy(guardians.id);
  },
  /** Guardians already linked to these students (to match a guardian given without an email by name). */
  async linkedGuardians(tx: Tx, tenantId: string, studentIds: string[]) {
    if (!studentIds.length) return [];
    return tx
      .select({ studentId: studentGuardians.studentId, relationship: studentGuardians.relationship, authorizedPickup: studentGuardians.authorizedPickup, guardian: guardians })
      .from(studentGuardians)
      .innerJoin(guardians, and(eq(guardians.tenantId, studentGuardians.tenantId), eq(guardians.id, studentGuardians.guardianId)))
      .where(and(eq(studentGuardians.tenantId, tenantId), inArray(studentGuardians.studentId, studentIds)));
  },
  async insertGuardians(tx: Tx, values: (typeof guardians.$inferInsert)[]) {
    if (values.length) await tx.insert(guardians).values(values);
  },
  async upsertLinks(tx: Tx, values: { tenantId: string; studentId: string; guardianId: string; relationship: string; authorizedPickup: boolean }[], now: Date) {
    if (!values.length) return;
    await tx
      .insert(studentGuardians)
      .values(values)
      .onConflictDoUpdate({
        target: [studentGuardians.tenantId, studentGuardians.studentId, studentGuardians.guardianId],
        set: { relationship: sql`excluded.relationship`, authorizedPickup: sql`excluded.authorized_pickup`, updatedAt: now, version: sql`${studentGuardians.version} + 1` },
      });
  },
};
