import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { staff, staffRooms } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type StaffRow = typeof staff.$inferSelect;
export type StaffValues = Pick<StaffRow, 'firstName' | 'lastName' | 'email'>;

export const staffRepository = {
  async insert(tx: Tx, tenantId: string, values: StaffValues & { id: string }) {
    const [row] = await tx.insert(staff).values({ ...values, tenantId }).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(staff).where(and(eq(staff.tenantId, tenantId), eq(staff.id, id)));
    return row;
  },
  /** Reads and row-locks for a change: concurrent writers queue instead of failing the version check. */
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(staff).where(and(eq(staff.tenantId, tenantId), eq(staff.id, id))).for('update');
    return row;
  },
  async list(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number; includeArchived?: boolean; roomId?: string }) {
    return tx
      .select()
      .from(staff)
      .where(
        and(
          eq(staff.tenantId, tenantId),
          opts.includeArchived ? undefined : isNull(staff.archivedAt),
          opts.roomId
            ? inArray(
                staff.id,
                tx.select({ id: staffRooms.staffId }).from(staffRooms).where(and(eq(staffRooms.tenantId, tenantId), eq(staffRooms.roomId, opts.roomId))),
              )
            : undefined,
          opts.cursor ? gt(staff.id, opts.cursor) : undefined,
        ),
      )
      .orderBy(asc(staff.id))
      .limit(opts.limit + 1);
  },
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<StaffValues> & { archivedAt?: Date }, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(staff)
      .set({ ...patch, updatedAt: now, version: sql`${staff.version} + 1` })
      .where(and(eq(staff.tenantId, tenantId), eq(staff.id, id), eq(staff.version, expectedVersion)))
      .returning();
    return row;
  },
  /** staffId → its room ids (sorted), for a page of staff. */
  async roomIdsFor(tx: Tx, tenantId: string, staffIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(staffIds.map((id) => [id, []]));
    if (!staffIds.length) return out;
    const rows = await tx
      .select({ staffId: staffRooms.staffId, roomId: staffRooms.roomId })
      .from(staffRooms)
      .where(and(eq(staffRooms.tenantId, tenantId), inArray(staffRooms.staffId, staffIds)))
      .orderBy(asc(staffRooms.staffId), asc(staffRooms.roomId));
    for (const r of rows) out.get(r.staffId)?.push(r.roomId);
    return out;
  },
  /** Replaces the staff member's rooms with exactly `roomIds`. */
  async setRooms(tx: Tx, tenantId: string, staffId: string, roomIds: string[]) {
    await tx.delete(staffRooms).where(and(eq(staffRooms.tenantId, tenantId), eq(staffRooms.staffId, staffId)));
    if (roomIds.length) await tx.insert(staffRooms).values(roomIds.map((roomId) => ({ tenantId, staffId, roomId })));
  },
};
