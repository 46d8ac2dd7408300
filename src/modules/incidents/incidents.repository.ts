import { and, asc, eq, gt, gte, inArray, isNull, lt, lte, ne, sql } from 'drizzle-orm';
import { incidents, studentGuardians, students } from '../../models/index.js';
import type { IncidentStatus } from '../../models/enums.js';
import type { Tx } from '../../db/db.js';

export type IncidentRow = typeof incidents.$inferSelect;
export type IncidentInsert = typeof incidents.$inferInsert;

/** Incidents. Every query names the tenant as well as running under row-level security. */
export const incidentsRepository = {
  async insert(tx: Tx, values: IncidentInsert) {
    const [row] = await tx.insert(incidents).values(values).returning();
    return row!;
  },

  async get(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(incidents).where(and(eq(incidents.tenantId, tenantId), eq(incidents.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },

  /**
   * The write of every change: conditional on the version read and on the status not being `acknowledged` (a guarded
   * UPDATE; the trigger incidents_state_guard refuses it too, whatever path writes).
   */
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<IncidentInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(incidents)
      .set({ ...patch, updatedAt: now, version: sql`${incidents.version} + 1` })
      .where(and(eq(incidents.tenantId, tenantId), eq(incidents.id, id), eq(incidents.version, expectedVersion), ne(incidents.status, 'acknowledged')))
      .returning();
    return row;
  },

  async list(
    tx: Tx,
    tenantId: string,
    f: { studentId?: string; status?: IncidentStatus; from?: Date; to?: Date; studentIds: string[] | null; hideOpen: boolean; cursor?: string; limit: number },
  ) {
    if (f.studentIds && !f.studentIds.length) return [];
    return tx
      .select()
      .from(incidents)
      .where(
        and(
          eq(incidents.tenantId, tenantId),
          f.studentId ? eq(incidents.studentId, f.studentId) : undefined,
          f.status ? eq(incidents.status, f.status) : undefined,
          f.from ? gte(incidents.occurredAt, f.from) : undefined,
          f.to ? lt(incidents.occurredAt, f.to) : undefined,
          f.studentIds ? inArray(incidents.studentId, f.studentIds) : undefined,
          f.hideOpen ? ne(incidents.status, 'open') : undefined,
          f.cursor ? gt(incidents.id, f.cursor) : undefined,
        ),
      )
      .orderBy(asc(incidents.id))
      .limit(f.limit + 1);
  },

  /** Reviewed, not acknowledged, not yet reminded, reviewed at or before `before`. */
  async awaitingReminder(tx: Tx, tenantId: string, before: Date) {
    return tx
      .select({ id: incidents.id, studentId: incidents.studentId, firstName: students.firstName })
      .from(incidents)
      .innerJoin(students, and(eq(students.tenantId, incidents.tenantId), eq(students.id, incidents.studentId)))
      .where(and(eq(incidents.tenantId, tenantId), eq(incidents.status, 'reviewed'), isNull(incidents.remindedAt), lte(incidents.reviewedAt, before)));
  },

  /** Marks the one reminder sent; false when another run got there first. */
  async markReminded(tx: Tx, tenantId: string, id: string, now: Date): Promise<boolean> {
    const rows = await tx
      .update(incidents)
      .set({ remindedAt: now })
      .where(and(eq(incidents.tenantId, tenantId), eq(incidents.id, id), eq(incidents.status, 'reviewed'), isNull(incidents.remindedAt)))
      .returning({ id: incidents.id });
    return rows.length === 1;
  },

  /** The guardian records linked to the child among `guardianIds` (the member's own records). */
  async linkedGuardian(tx: Tx, tenantId: string, studentId: string, guardianIds: string[]) {
    if (!guardianIds.length) return undefined;
    const [row] = await tx
      .select({ id: studentGuardians.guardianId })
      .from(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, tenantId), eq(studentGuardians.studentId, studentId), inArray(studentGuardians.guardianId, guardianIds)))
      .orderBy(asc(studentGuardians.guardianId))
      .limit(1);
    return row?.id;
  },
};
