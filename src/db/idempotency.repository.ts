import { and, eq, isNull, lt, sql } from 'drizzle-orm';
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
  async find(tx: Tx, s: IdemScope) {
    const [row] = await tx.select().from(idempotencyKeys).where(where(s));
    return row;
  },
  /**
   * The key with its response, written in the transaction of the work it answers for (never "in progress": every row
   * is complete; `completed` is always true, a column left from the claim-first design, to drop with a migration).
   */
  async insertCompleted(
    tx: Tx,
    s: IdemScope,
    fingerprint: string,
    response: { status: number; body: unknown; headers: Record<string, string> },
    now: Date,
    ttlSeconds: number,
  ) {
    await tx.insert(idempotencyKeys).values({
      ...s,
      fingerprint,
      completed: true,
      responseStatus: response.status,
      responseBody: response.body as any,
      responseHeaders: response.headers,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    });
  },
  /** The key's transaction-level advisory lock, without waiting: false when a concurrent duplicate holds it. */
  async tryLock(tx: Tx, lockKey: string) {
    const rows = await tx.execute(sql`select pg_try_advisory_xact_lock(${lockKey}::bigint) as ok`);
    return Boolean((rows as unknown as { rows: { ok: boolean }[] }).rows[0]?.ok);
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
