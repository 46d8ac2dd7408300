import { and, eq, isNull, lt } from 'drizzle-orm';
import { idempotencyKeys } from '../models/index.js';
import type { Tx } from './db.js';

export interface IdemScope {
  tenantId: string | null;
  userId: string;
  method: string;
  path: string;
  key: string;
}

const where = (s: IdemScope) =>
  and(
    s.tenantId ? eq(idempotencyKeys.tenantId, s.tenantId) : isNull(idempotencyKeys.tenantId),
    eq(idempotencyKeys.userId, s.userId),
    eq(idempotencyKeys.method, s.method),
    eq(idempotencyKeys.path, s.path),
    eq(idempotencyKeys.key, s.key),
  );

export const idempotencyRepository = {
  /** Claims the key; the unique constraint makes two concurrent claims impossible. Returns null when it exists. */
  async claim(tx: Tx, s: IdemScope, fingerprint: string, now: Date, ttlSeconds: number) {
    const rows = await tx
      .insert(idempotencyKeys)
      .values({ ...s, fingerprint, createdAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) })
      .onConflictDoNothing()
      .returning({ id: idempotencyKeys.id });
    return rows[0] ?? null;
  },
  async find(tx: Tx, s: IdemScope) {
    const [row] = await tx.select().from(idempotencyKeys).where(where(s));
    return row;
  },
  async complete(tx: Tx, id: string, status: number, body: unknown, headers: Record<string, string>) {
    await tx
      .update(idempotencyKeys)
      .set({ completed: true, responseStatus: status, responseBody: body as any, responseHeaders: headers })
      .where(eq(idempotencyKeys.id, id));
  },
  async remove(tx: Tx, id: string) {
    await tx.delete(idempotencyKeys).where(eq(idempotencyKeys.id, id));
  },
  /** Cleanup: keys past their 24 h (tenant keys per tenant scope; user-level keys in system scope). */
  async deleteExpired(tx: Tx, tenantId: string | null, now: Date) {
    const rows = await tx
      .delete(idempotencyKeys)
      .where(and(tenantId ? eq(idempotencyKeys.tenantId, tenantId) : isNull(idempotencyKeys.tenantId), lt(idempotencyKeys.expiresAt, now)))
      .returning({ id: idempotencyKeys.id });
    return rows.length;
  },
};
