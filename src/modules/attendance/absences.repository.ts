import { and, asc, eq, gt, gte, inArray, lte } from 'drizzle-orm';
import { absences, attendance, students } from '../../models/index.js';
import { selectList } from '../../db/columns-sql.js';
import { queryRows, type Tx } from '../../db/db.js';

export type AbsenceRow = typeof absences.$inferSelect;
const DELETE_FOR_DAY = `delete from absences where tenant_id = $1 and student_id = $2 and date = $3 returning ${selectList(absences)}`;
export type AbsenceInsert = typeof absences.$inferInsert;

/** Absences: one per child per local day. Every query names the tenant as well as running under row-level security. */
export const absencesRepository = {
  async insert(tx: Tx, values: AbsenceInsert) {
    const [row] = await tx.insert(absences).values(values).returning();
    return row!;
  },

  async get(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(absences).where(and(eq(absences.tenantId, tenantId), eq(absences.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },

  async forDay(tx: Tx, tenantId: string, studentId: string, date: string) {
    const [row] = await tx.select().from(absences).where(and(eq(absences.tenantId, tenantId), eq(absences.studentId, studentId), eq(absences.date, date)));
    return row;
  },

  /** Removes the child's absence on that day (a check-in: the child is here); answers the removed row. */
  async deleteForDay(tx: Tx, tenantId: string, studentId: string, date: string) {
    // Written as SQL: every check-in asks it (the hot write path).
    const [row] = await queryRows<AbsenceRow>(tx, DELETE_FOR_DAY, [tenantId, studentId, date]);
    return row;
  },

  /** Deletes only the version the caller saw; undefined when it changed or went meanwhile. */
  async delete(tx: Tx, tenantId: string, id: string, version: number) {
    const [row] = await tx.delete(absences).where(and(eq(absences.tenantId, tenantId), eq(absences.id, id), eq(absences.version, version))).returning();
    return row;
  },

  async hasAttendanceOn(tx: Tx, tenantId: string, studentId: string, date: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: attendance.id })
      .from(attendance)
      .where(and(eq(attendance.tenantId, tenantId), eq(attendance.studentId, studentId), eq(attendance.date, date)))
      .limit(1);
    return !!row;
  },

  /** `studentIds` restricts the list (a guardian's own children); an empty array matches nothing. Ordered by id. */
  async list(tx: Tx, tenantId: string, f: { from?: string; to?: string; studentId?: string; roomId?: string; studentIds: string[] | null; cursor?: string; limit: number }) {
    if (f.studentIds && !f.studentIds.length) return [];
    const base = tx.select({ a: absences }).from(absences);
    const q = f.roomId ? base.innerJoin(students, and(eq(students.tenantId, absences.tenantId), eq(students.id, absences.studentId))) : base;
    const rows = await q
      .where(
        and(
          eq(absences.tenantId, tenantId),
          f.from ? gte(absences.date, f.from) : undefined,
          f.to ? lte(absences.date, f.to) : undefined,
          f.studentId ? eq(absences.studentId, f.studentId) : undefined,
          f.roomId ? eq(students.roomId, f.roomId) : undefined,
          f.studentIds ? inArray(absences.studentId, f.studentIds) : undefined,
          f.cursor ? gt(absences.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(absences.id))
      .limit(f.limit + 1);
    return rows.map((r) => r.a);
  },
};
