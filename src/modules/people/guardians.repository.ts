import { canonicalEmail } from '../../core/email.js';
import { and, asc, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { guardians } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type GuardianRow = typeof guardians.$inferSelect;
export type GuardianValues = Pick<GuardianRow, 'firstName' | 'lastName' | 'email' | 'phone'>;

export const guardiansRepository = {
  /** The one insert of guardians: a single create and the import's batches. */
  async insertMany(tx: Tx, tenantId: string, values: (GuardianValues & { id: string })[]) {
    if (!values.length) return [];
    return tx
      .insert(guardians)
      .values(values.map((v) => ({ ...v, tenantId })))
      .returning();
  },
  async insert(tx: Tx, tenantId: string, values: GuardianValues & { id: string }) {
    const [row] = await guardiansRepository.insertMany(tx, tenantId, [values]);
    return row!;
  },
  /** The live guardians with any of these (lower-cased) emails, oldest first. */
  async liveByEmails(tx: Tx, tenantId: string, emails: string[]) {
    if (!emails.length) return [];
    return tx
      .select()
      .from(guardians)
      .where(and(eq(guardians.tenantId, tenantId), inArray(guardians.email, emails), isNull(guardians.archivedAt)))
      .orderBy(guardians.id);
  },
  /** The oldest live guardian with this (lower-cased) email: the family an accepted offer joins. */
  async liveByEmail(tx: Tx, tenantId: string, email: string) {
    const [row] = await tx
      .select()
      .from(guardians)
      .where(and(eq(guardians.tenantId, tenantId), eq(guardians.email, canonicalEmail(email)), isNull(guardians.archivedAt)))
      .orderBy(asc(guardians.id))
      .limit(1);
    return row;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(guardians).where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id)));
    return row;
  },
  /** Reads and row-locks for a change: concurrent writers queue instead of failing the version check. */
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(guardians).where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id))).for('update');
    return row;
  },
  async list(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number; includeArchived?: boolean; ids?: string[] }) {
    return tx
      .select()
      .from(guardians)
      .where(
        and(
          eq(guardians.tenantId, tenantId),
          opts.includeArchived ? undefined : isNull(guardians.archivedAt),
          opts.ids ? inArray(guardians.id, opts.ids) : undefined,
          opts.cursor ? gt(guardians.id, opts.cursor) : undefined,
        ),
      )
      .orderBy(asc(guardians.id))
      .limit(opts.limit + 1);
  },
  /** Forgets the adult's kiosk PIN (unlinked, archived): the row's version is not moved, the PIN is not a field. */
  async clearPin(tx: Tx, tenantId: string, id: string, now: Date) {
    await tx
      .update(guardians)
      .set({ pinHash: null, pinSetAt: null, updatedAt: now })
      .where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id), isNotNull(guardians.pinHash)));
  },
  /** Stores a PIN's keyed hash; the unique index (tenant, pin_hash) refuses one another adult of the centre holds. */
  async setPinHash(tx: Tx, tenantId: string, id: string, pinHash: string, now: Date) {
    const [row] = await tx
      .update(guardians)
      .set({ pinHash, pinSetAt: now })
      .where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id), isNull(guardians.archivedAt)))
      .returning({ id: guardians.id });
    return row;
  },
  /** Which of these keyed hashes another adult of the centre already holds. */
  async takenPinHashes(tx: Tx, tenantId: string, hashes: string[]) {
    const rows = await tx.select({ h: guardians.pinHash }).from(guardians).where(and(eq(guardians.tenantId, tenantId), inArray(guardians.pinHash, hashes)));
    return new Set(rows.map((r) => r.h));
  },
  /** The live adult holding this PIN hash. */
  async byPinHash(tx: Tx, tenantId: string, pinHash: string) {
    const [row] = await tx.select().from(guardians).where(and(eq(guardians.tenantId, tenantId), eq(guardians.pinHash, pinHash), isNull(guardians.archivedAt)));
    return row;
  },
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<GuardianValues> & { archivedAt?: Date }, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(guardians)
      .set({ ...patch, updatedAt: now, version: sql`${guardians.version} + 1` })
      .where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id), eq(guardians.version, expectedVersion)))
      .returning();
    return row;
  },
};
