import { and, eq, isNull, sql } from 'drizzle-orm';
import { files, students } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type FileRow = typeof files.$inferSelect;
export type NewFile = typeof files.$inferInsert;

export const filesRepository = {
  async insert(tx: Tx, values: NewFile & { tenantId: string; id: string }) {
    const [row] = await tx.insert(files).values(values).returning();
    return row!;
  },

  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(files).where(and(eq(files.tenantId, tenantId), eq(files.id, id)));
    return row;
  },

  /** Moves a pending file to `uploaded` or `rejected`; undefined when it was no longer pending (a concurrent confirm). */
  async settle(tx: Tx, tenantId: string, id: string, patch: { status: 'uploaded' | 'rejected'; size?: number; uploadedAt?: Date }, now: Date) {
    const [row] = await tx
      .update(files)
      .set({ ...patch, updatedAt: now, version: sql`${files.version} + 1` })
      .where(and(eq(files.tenantId, tenantId), eq(files.id, id), eq(files.status, 'pending')))
      .returning();
    return row;
  },

  /** Whether a (not archived) child with this id exists in the centre. */
  async studentExists(tx: Tx, tenantId: string, studentId: string) {
    const [row] = await tx
      .select({ id: students.id })
      .from(students)
      .where(and(eq(students.tenantId, tenantId), eq(students.id, studentId), isNull(students.archivedAt)));
    return !!row;
  },
};
