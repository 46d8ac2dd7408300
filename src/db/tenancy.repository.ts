import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { memberships, tenants, users } from '../models/index.js';
import { queryMany, type Tx } from './db.js';
import { canonicalEmail } from '../core/email.js';

export type TenantRow = typeof tenants.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export const usersRepository = {
  async upsertBySupabaseId(tx: Tx, supabaseId: string, email: string, now: Date): Promise<UserRow> {
    const [row] = await tx
      .insert(users)
      .values({ supabaseId, email, lastSignInAt: now })
      .onConflictDoUpdate({
        target: users.supabaseId,
        set: { email, lastSignInAt: now, updatedAt: now, version: sql`${users.version} + 1` },
      })
      .returning();
    return row!;
  },
  async get(tx: Tx, id: string) {
    const [row] = await tx.select().from(users).where(eq(users.id, id));
    return row;
  },
};

export const tenantsRepository = {
  async insert(tx: Tx, values: { id: string; name: string; timezone: string }) {
    const [row] = await tx.insert(tenants).values(values).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string) {
    const [row] = await tx.select().from(tenants).where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)));
    return row;
  },
  async update(tx: Tx, tenantId: string, patch: Partial<Pick<TenantRow, 'name' | 'timezone' | 'closingTime'>>, expectedVersion?: number) {
    const [row] = await tx
      .update(tenants)
      .set({ ...patch, updatedAt: new Date(), version: sql`${tenants.version} + 1` })
      .where(and(eq(tenants.id, tenantId), expectedVersion !== undefined ? eq(tenants.version, expectedVersion) : undefined))
      .returning();
    return row;
  },
  /** System scope only (scheduler): every centre's id, time zone and closing time. */
  async directory(tx: Tx) {
    return tx
      .select({ id: tenants.id, timezone: tenants.timezone, closingTime: tenants.closingTime })
      .from(tenants)
      .where(isNull(tenants.deletedAt))
      .orderBy(asc(tenants.id));
  },
};

const CONTEXT_MEMBERSHIPS_SQL =
  'select m.id as "id", m.tenant_id as "tenantId", t.name as "tenantName", m.roles as "roles", m.entitlements as "entitlements", m.status as "status" from memberships m join tenants t on t.id = m.tenant_id where m.user_id = $1 and t.deleted_at is null order by m.created_at, m.id';
const CONTEXT_TENANT_SQL = 'select id as "id", name as "name", timezone as "timezone" from tenants where id = $1 and deleted_at is null';

export const membershipsRepository = {
  /** The signed-in user's memberships in every centre (RLS allows rows whose user_id is the scope's user). */
  async listForUser(tx: Tx, userId: string) {
    return tx
      .select({ m: memberships, tenantName: tenants.name })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(and(eq(memberships.userId, userId), isNull(tenants.deletedAt)))
      .orderBy(asc(memberships.createdAt), asc(memberships.id));
  },
  /**
   * `GET /me/context` in one round trip, written as SQL (no query building per request): the user's memberships as
   * `listForUser` answers them, shaped as their views, and the active centre (when there is one) as `tenantsRepository.get`
   * finds it. The same scope, so RLS shows exactly what it shows those two.
   */
  async contextForUser(tx: Tx, userId: string, tenantId: string | null) {
    const [views, tenant] = await queryMany(tx, [
      { text: CONTEXT_MEMBERSHIPS_SQL, values: [userId] },
      ...(tenantId ? [{ text: CONTEXT_TENANT_SQL, values: [tenantId] }] : []),
    ]);
    return {
      memberships: views as { id: string; tenantId: string; tenantName: string; roles: string[]; entitlements: string[]; status: string }[],
      tenant: tenant?.[0] as { id: string; name: string; timezone: string } | undefined,
    };
  },
  /** Ids of every membership the user holds, in any centre and status (needs the user's cross-centre scope). */
  async idsForUser(tx: Tx, userId: string) {
    const rows = await tx.select({ id: memberships.id }).from(memberships).where(eq(memberships.userId, userId));
    return rows.map((r) => r.id);
  },
  /** Invitations waiting for this email, in any centre (RLS shows them to the scope's email only). */
  async pendingInvitations(tx: Tx, email: string, opts: { cursor?: string; limit?: number } = {}) {
    const q = tx
      .select({ id: memberships.id, tenantId: memberships.tenantId, tenantName: tenants.name, roles: memberships.roles })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(
        and(
          isNull(memberships.userId),
          eq(memberships.status, 'invited'),
          eq(memberships.email, canonicalEmail(email)),
          isNull(tenants.deletedAt),
          opts.cursor ? gt(memberships.id, opts.cursor) : undefined,
        ),
      )
      .orderBy(asc(memberships.id));
    return opts.limit ? q.limit(opts.limit) : q;
  },
  /** Accepts one invitation for this user and email: it becomes theirs and active (the narrow RLS policy for this). */
  async acceptInvitation(tx: Tx, id: string, userId: string, email: string, now: Date) {
    const [row] = await tx
      .update(memberships)
      .set({ userId, status: 'active', updatedAt: now, version: sql`${memberships.version} + 1` })
      .where(and(eq(memberships.id, id), isNull(memberships.userId), eq(memberships.status, 'invited'), eq(memberships.email, canonicalEmail(email))))
      .returning();
    return row;
  },
  /** Declines one invitation for this email: it is gone (the centre may invite again). */
  async declineInvitation(tx: Tx, id: string, email: string) {
    const [row] = await tx
      .delete(memberships)
      .where(and(eq(memberships.id, id), isNull(memberships.userId), eq(memberships.status, 'invited'), eq(memberships.email, canonicalEmail(email))))
      .returning();
    return row;
  },
  async getForUser(tx: Tx, userId: string, membershipId: string) {
    const [row] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.id, membershipId), eq(memberships.userId, userId)));
    return row;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.id, id)));
    return row;
  },
  async getByEmail(tx: Tx, tenantId: string, email: string) {
    const [row] = await tx.select().from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.email, email)));
    return row;
  },
  async list(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number }) {
    return tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.tenantId, tenantId), opts.cursor ? gt(memberships.id, opts.cursor) : undefined))
      .orderBy(asc(memberships.id))
      .limit(opts.limit + 1);
  },
  async insert(tx: Tx, values: typeof memberships.$inferInsert) {
    const [row] = await tx.insert(memberships).values(values).returning();
    return row!;
  },
  async update(
    tx: Tx,
    tenantId: string,
    id: string,
    patch: Partial<Pick<MembershipRow, 'roles' | 'entitlements' | 'status'>>,
    expectedVersion?: number,
  ) {
    const [row] = await tx
      .update(memberships)
      .set({ ...patch, updatedAt: new Date(), version: sql`${memberships.version} + 1` })
      .where(
        and(eq(memberships.tenantId, tenantId), eq(memberships.id, id), expectedVersion !== undefined ? eq(memberships.version, expectedVersion) : undefined),
      )
      .returning();
    return row;
  },
  async delete(tx: Tx, tenantId: string, id: string) {
    const rows = await tx.delete(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.id, id))).returning();
    return rows[0];
  },
  /** Active owners, locked, so two concurrent demotions cannot leave a centre without one. */
  async lockActiveOwners(tx: Tx, tenantId: string) {
    return tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.tenantId, tenantId), eq(memberships.status, 'active'), sql`'owner' = any(${memberships.roles})`))
      .for('update');
  },
  async activeByIds(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return [];
    return tx.select().from(memberships).where(and(eq(memberships.tenantId, tenantId), inArray(memberships.id, ids)));
  },
};
