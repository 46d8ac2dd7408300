import { and, eq, inArray, lt } from 'drizzle-orm';
import { files } from '../models/index.js';
import type { Tx } from './db.js';

/** Hourly cleanup queries that have no other home (abandoned uploads). */
export const maintenanceRepository = {
  /** Uploads presigned but never confirmed, older than `before`. */
  async abandonedUploads(tx: Tx, tenantId: string, before: Date, limit = 500) {
    return tx
      .select({ id: files.id, storageKey: files.storageKey })
      .from(files)
      .where(and(eq(files.tenantId, tenantId), eq(files.status, 'pending'), lt(files.createdAt, before)))
      .limit(limit);
  },
  async deleteFiles(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return 0;
    const rows = await tx
      .delete(files)
      .where(and(eq(files.tenantId, tenantId), inArray(files.id, ids), eq(files.status, 'pending')))
      .returning({ id: files.id });
    return rows.length;
  },
};
