import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { rooms } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type RoomRow = typeof rooms.$inferSelect;
export type RoomValues = Pick<RoomRow, 'name' | 'capacity' | 'ageGroup' | 'ratio'>;

export const roomsRepository = {
  async insert(tx: Tx, tenantId: string, values: RoomValues & { id: string }) {
    const [row] = await tx.insert(rooms).values({ ...values, tenantId }).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(rooms).where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, id)));
    return row;
  },
  /** Reads and row-locks for a change: concurrent writers queue instead of failing the version check. */
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(rooms).where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, id))).for('update');
    return row;
  },
  /** Keyset page on the UUIDv7 id; `ids` restricts to a set (a guardian's visible rooms). */
  async list(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number; includeArchived?: boolean; ids?: string[] }) {
    return tx
      .select()
      .from(rooms)
      .where(
        and(
          eq(rooms.tenantId, tenantId),
          opts.includeArchived ? undefined : isNull(rooms.archivedAt),
          opts.ids ? inArray(rooms.id, opts.ids) : undefined,
          opts.cursor ? gt(rooms.id, opts.cursor) : undefined,
        ),
      )
      .orderBy(asc(rooms.id))
      .limit(opts.limit + 1);
  },
  /** Every live (not archived) room of the tenant (the import checks its rows' rooms against them). */
  async allLiveIds(tx: Tx, tenantId: string) {
    const rows = await tx.select({ id: rooms.id }).from(rooms).where(and(eq(rooms.tenantId, tenantId), isNull(rooms.archivedAt)));
    return new Set(rows.map((r) => r.id));
  },
  /** Of `ids`, those that are live (not archived) rooms of the tenant. */
  async liveIds(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return [];
    const rows = await tx
      .select({ id: rooms.id })
      .from(rooms)
      .where(and(eq(rooms.tenantId, tenantId), inArray(rooms.id, ids), isNull(rooms.archivedAt)));
    return rows.map((r) => r.id);
  },
  /** Compare-and-set on the version: undefined when the row changed (or vanished) meanwhile. */
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<RoomValues> & { archivedAt?: Date }, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(rooms)
      .set({ ...patch, updatedAt: now, version: sql`${rooms.version} + 1` })
      .where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, id), eq(rooms.version, expectedVersion)))
      .returning();
    return row;
  },
};
