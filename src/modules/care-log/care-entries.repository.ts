import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { absences, attendance, careEntries, students } from '../../models/index.js';
import { selectList } from '../../db/columns-sql.js';
import { queryMany, type Tx } from '../../db/db.js';
import type { AbsenceRow, AttendanceRow } from '../attendance/index.js';

export type CareEntryRow = typeof careEntries.$inferSelect;
export type CareEntryInsert = typeof careEntries.$inferInsert;

const DAY_STUDENT = 'select id from students where tenant_id = $1 and id = $2';
const DAY_STAYS = `select ${selectList(attendance)} from attendance where tenant_id = $1 and student_id = $2 and date = $3 order by check_in_at, id`;
const DAY_ABSENCE = `select ${selectList(absences)} from absences where tenant_id = $1 and student_id = $2 and date = $3`;
const DAY_ENTRIES = `select ${selectList(careEntries)} from care_entries where tenant_id = $1 and student_id = $2 and date = $3`;
const DAY_ENTRIES_ORDER = 'order by at, created_at, id';

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

  /**
   * One child's day (the daily report), read in one round trip (written as SQL): its stays, its absence and its care
   * entries (`guardianView`: only those visible to guardians). undefined when the centre has no such child.
   */
  async day(tx: Tx, tenantId: string, studentId: string, date: string, guardianView: boolean) {
    const values = [tenantId, studentId, date];
    const [student, stays, absence, entries] = await queryMany(tx, [
      { text: DAY_STUDENT, values: [tenantId, studentId] },
      { text: DAY_STAYS, values },
      { text: DAY_ABSENCE, values },
      { text: `${DAY_ENTRIES}${guardianView ? ' and visible_to_guardians' : ''} ${DAY_ENTRIES_ORDER}`, values },
    ]);
    if (!student!.length) return undefined;
    return { stays: stays as AttendanceRow[], absence: absence![0] as AbsenceRow | undefined, entries: entries as CareEntryRow[] };
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
  async existingStudentIds(tx: Tx, tenantId: string, ids: string[]) {
    const rows = await tx.select({ id: students.id }).from(students).where(and(eq(students.tenantId, tenantId), inArray(students.id, ids)));
    return rows.map((r) => r.id);
  },
};
