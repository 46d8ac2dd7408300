import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { refreshTokens, sessions } from '../models/index.js';
import type { Tx } from './db.js';

export type SessionRow = typeof sessions.$inferSelect;

/** Refresh-token families. Not tenant data: a family belongs to a user and survives membership switches. */
export const sessionsRepository = {
  async create(tx: Tx, values: typeof sessions.$inferInsert, tokenHash: string) {
    const [row] = await tx.insert(sessions).values(values).returning();
    await tx.insert(refreshTokens).values({ tokenHash, sessionId: row!.id });
    return row!;
  },
  /** The presented token and its family, locked so concurrent refreshes serialise. */
  async lockToken(tx: Tx, tokenHash: string) {
    const [row] = await tx
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update');
    return row;
  },
  async rotate(tx: Tx, oldHash: string | null, newHash: string, sessionId: string, now: Date) {
    if (oldHash) await tx.update(refreshTokens).set({ rotatedAt: now }).where(and(eq(refreshTokens.tokenHash, oldHash), isNull(refreshTokens.rotatedAt)));
    await tx.insert(refreshTokens).values({ tokenHash: newHash, sessionId, createdAt: now });
  },
  async touch(tx: Tx, sessionId: string, now: Date, idleExpiresAt: Date) {
    await tx.update(sessions).set({ lastUsedAt: now, idleExpiresAt, updatedAt: now, version: sql`${sessions.version} + 1` }).where(eq(sessions.id, sessionId));
  },
  async get(tx: Tx, sessionId: string) {
    const [row] = await tx.select().from(sessions).where(eq(sessions.id, sessionId));
    return row;
  },
  async setMembership(tx: Tx, sessionId: string, membershipId: string | null, tenantId: string | null, now: Date) {
    await tx.update(sessions).set({ membershipId, activeTenantId: tenantId, updatedAt: now, version: sql`${sessions.version} + 1` }).where(eq(sessions.id, sessionId));
  },
  /**
   * Every access token of the family minted so far is refused from now on (a switch of centre): the cut-off moves to
   * just after both `now` and the previous cut-off (tokens are minted at it), and is returned in ms.
   */
  async cutOff(tx: Tx, sessionId: string, now: Date) {
    const [row] = await tx
      .update(sessions)
      .set({
        accessValidAfter: sql`greatest(coalesce(${sessions.accessValidAfter}, ${now}), ${now}) + interval '1 millisecond'`,
        updatedAt: now,
        version: sql`${sessions.version} + 1`,
      })
      .where(eq(sessions.id, sessionId))
      .returning({ at: sessions.accessValidAfter });
    return row?.at?.getTime() ?? now.getTime() + 1;
  },
  async revoke(tx: Tx, sessionId: string, reason: string, now: Date) {
    const rows = await tx
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason, updatedAt: now, version: sql`${sessions.version} + 1` })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id, membershipId: sessions.membershipId, userId: sessions.userId, tenantId: sessions.activeTenantId });
    return rows[0];
  },
  /** Hourly cleanup: families past their absolute or idle expiry, or revoked more than a day ago. */
  async deleteExpired(tx: Tx, now: Date) {
    const dayAgo = new Date(now.getTime() - 24 * 3600_000);
    const rows = await tx
      .delete(sessions)
      .where(or(lt(sessions.absoluteExpiresAt, now), lt(sessions.idleExpiresAt, now), lt(sessions.revokedAt, dayAgo)))
      .returning({ id: sessions.id });
    return rows.length;
  },
};
