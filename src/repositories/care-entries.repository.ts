import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { attendance, careEntries, students } from '../models/index.js';
import type { Tx } from './db.js';

export type CareEntryRow = typeof careEntries.$inferSelect;
export type CareEntryInsert = typeof careEntries.$inferInsert;

/** The care log. Every query names the tenant as well as running under row-level security. */
export const careEntriesRepository = {
  /** All rows in one INSERT statement (a room batch is one statement). */
  async insertMany(tx: Tx, values: CareEntryInsert[]) {
    if (!values.length) return [];
    return tx.insert(careEntries).values(values).returning();
  },

  async get(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(careEntries).where(and(eq(careEntries.tenantId, tenantId), eq(careEntries.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },

  /** One child's entries on a local day, by `at`; `guardianView` keeps only those visible to guardians. */
  async forDay(tx: Tx, tenantId: string, studentId: string, date: string, guardianView: boolean) {
    return tx
      .select()
      .from(careEntries)
      .where(
        and(
          eq(careEntries.tenantId, tenantId),
          eq(careEntries.studentId, studentId),
          eq(careEntries.date, date),
          guardianView ? eq(careEntries.visibleToGuardians, true) : undefined,
        ),
      )
      .orderBy(asc(careEntries.at), asc(careEntries.createdAt), asc(careEntries.id));
  },

  async update(tx: Tx, tenantId: string, id: string, patch: Partial<Pick<CareEntryRow, 'at' | 'endAt' | 'date' | 'details' | 'note' | 'visibleToGuardians'>>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(careEntries)
      .set({ ...patch, updatedAt: now, version: sql`${careEntries.version} + 1` })
      .where(and(eq(careEntries.tenantId, tenantId), eq(careEntries.id, id), eq(careEntries.version, expectedVersion)))
      .returning();
    return row;
  },

  async delete(tx: Tx, tenantId: string, id: string, version: number) {
    const [row] = await tx.delete(careEntries).where(and(eq(careEntries.tenantId, tenantId), eq(careEntries.id, id), eq(careEntries.version, version))).returning();
    return row;
  },

  /** The children whose open stay is in the room now. */
  async presentIds(tx: Tx, tenantId: string, roomId: string): Promise<string[]> {
    const rows = await tx
      .select({ id: attendance.studentId })
      .from(attendance)
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.roomId, roomId), isNull(attendance.checkOutAt)));
    return rows.map((r) => r.id);
  },

  /** The day's stays of one child, in order. */
  async staysOn(tx: Tx, tenantId: string, studentId: string, date: string) {
    return tx
      .select()
      .from(attendance)
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.studentId, studentId), eq(attendance.date, date)))
      .orderBy(asc(attendance.checkInAt), asc(attendance.id));
  },

  async existingStudentIds(tx: Tx, tenantId: string, ids: string[]) {
    const rows = await tx.select({ id: students.id }).from(students).where(and(eq(students.tenantId, tenantId), inArray(students.id, ids)));
    return rows.map((r) => r.id);
  },
};
