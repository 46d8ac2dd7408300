import { and, asc, eq, gt, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { applications, students, waitlistSettings } from '../../models/index.js';
import type { ApplicationStatus, WaitlistPriority } from '../../models/enums.js';
import type { Tx } from '../../db/db.js';

export type ApplicationRow = typeof applications.$inferSelect;
export type ApplicationInsert = typeof applications.$inferInsert;
/** An application as every read answers it: the row and its tier, computed now from the centre's priorities. */
export type ApplicationWithTier = ApplicationRow & { tier: number };

/**
 * The tier rule in one place (CONTRACT §5 "Enrolment"): the index in `priorities` of the first priority the application
 * meets, else the number of priorities. `sibling` = the named sibling is a child of this centre, enrolled and not
 * archived — evaluated on every read, so a sibling who left no longer lifts the application.
 */
export function tierSql(priorities: readonly WaitlistPriority[]): SQL<number> {
  if (!priorities.length) return sql<number>`0`;
  const conds = priorities.map((p) =>
    p === 'sibling'
      ? sql`exists (select 1 from ${students} s where s.tenant_id = ${applications.tenantId} and s.id = ${applications.siblingStudentId} and s.status = 'enrolled' and s.archived_at is null)`
      : sql`${applications.staffChild}`,
  );
  // The indices are literals (never parameters): a CASE of untyped parameters would compare as text.
  const whens = sql.join(conds.map((c, i) => sql`when ${c} then ${sql.raw(String(i))}`), sql` `);
  return sql<number>`(case ${whens} else ${sql.raw(String(priorities.length))} end)::int`;
}

/** The status a reader sees: an offer is expired from its deadline on, whatever is stored. */
export function statusFilter(status: ApplicationStatus, now: Date): SQL | undefined {
  if (status === 'offered') return and(eq(applications.status, 'offered'), gt(applications.offerExpiresAt, now));
  if (status === 'expired') return or(eq(applications.status, 'expired'), and(eq(applications.status, 'offered'), sql`${applications.offerExpiresAt} <= ${now}`));
  return eq(applications.status, status);
}

export interface WaitlistCursor {
  tier: number;
  rankAt: string;
  id: string;
}

export const applicationsRepository = {
  async insert(tx: Tx, values: ApplicationInsert) {
    const [row] = await tx.insert(applications).values(values).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string, priorities: readonly WaitlistPriority[]): Promise<ApplicationWithTier | undefined> {
    const [row] = await tx
      .select({ a: applications, tier: tierSql(priorities) })
      .from(applications)
      .where(and(eq(applications.tenantId, tenantId), eq(applications.id, id)));
    return row ? { ...row.a, tier: row.tier } : undefined;
  },
  /** Reads and row-locks the application for a move: concurrent moves of one application queue. */
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(applications).where(and(eq(applications.tenantId, tenantId), eq(applications.id, id))).for('update');
    return row;
  },
  async list(tx: Tx, tenantId: string, priorities: readonly WaitlistPriority[], f: { status?: ApplicationStatus; cursor?: string; limit: number; now: Date }) {
    const rows = await tx
      .select({ a: applications, tier: tierSql(priorities) })
      .from(applications)
      .where(and(eq(applications.tenantId, tenantId), f.status ? statusFilter(f.status, f.now) : undefined, f.cursor ? gt(applications.id, f.cursor) : undefined))
      .orderBy(asc(applications.id))
      .limit(f.limit + 1);
    return rows.map((r) => ({ ...r.a, tier: r.tier }));
  },
  /**
   * The waitlist in its one order — tier, then rankAt, then id — for a room (applications naming it or no room) and a
   * start date. GET /waitlist and the offer's "is it first?" check both read it here.
   */
  async waitlist(
    tx: Tx,
    tenantId: string,
    priorities: readonly WaitlistPriority[],
    f: { roomId?: string; startBy?: string; after?: WaitlistCursor; limit: number },
  ): Promise<ApplicationWithTier[]> {
    const tier = tierSql(priorities);
    const rows = await tx
      .select({ a: applications, tier })
      .from(applications)
      .where(
        and(
          eq(applications.tenantId, tenantId),
          eq(applications.status, 'waitlisted'),
          f.roomId ? or(eq(applications.roomId, f.roomId), isNull(applications.roomId)) : undefined,
          f.startBy ? sql`${applications.desiredStartDate} <= ${f.startBy}` : undefined,
          f.after ? sql`(${tier}, ${applications.rankAt}, ${applications.id}) > (${f.after.tier}::int, ${f.after.rankAt}::timestamptz, ${f.after.id}::uuid)` : undefined,
        ),
      )
      .orderBy(tier, asc(applications.rankAt), asc(applications.id))
      .limit(f.limit);
    return rows.map((r) => ({ ...r.a, tier: r.tier }));
  },
  /** A child of the centre, else another open application, with the same names (case-insensitive) and birth date. */
  async duplicateOf(tx: Tx, tenantId: string, child: { firstName: string; lastName: string; dateOfBirth: string }, excludeId?: string) {
    const [s] = await tx
      .select({ id: students.id })
      .from(students)
      .where(
        and(
          eq(students.tenantId, tenantId),
          sql`lower(${students.lastName}) = lower(${child.lastName})`,
          sql`lower(${students.firstName}) = lower(${child.firstName})`,
          eq(students.dateOfBirth, child.dateOfBirth),
        ),
      )
      .orderBy(asc(students.id))
      .limit(1);
    if (s) return s.id;
    const [a] = await tx
      .select({ id: applications.id })
      .from(applications)
      .where(
        and(
          eq(applications.tenantId, tenantId),
          sql`${applications.status} in ('waitlisted', 'offered')`,
          sql`lower(${applications.childLastName}) = lower(${child.lastName})`,
          sql`lower(${applications.childFirstName}) = lower(${child.firstName})`,
          eq(applications.childDateOfBirth, child.dateOfBirth),
          excludeId ? ne(applications.id, excludeId) : undefined,
        ),
      )
      .orderBy(asc(applications.id))
      .limit(1);
    return a?.id ?? null;
  },
  /** Places a room has promised: its children (enrolled, not archived) plus its live offers (offered, not expired). */
  async placesTaken(tx: Tx, tenantId: string, roomId: string, now: Date) {
    const [kids] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(students)
      .where(and(eq(students.tenantId, tenantId), eq(students.roomId, roomId), eq(students.status, 'enrolled'), isNull(students.archivedAt)));
    const [offers] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(applications)
      .where(and(eq(applications.tenantId, tenantId), eq(applications.offerRoomId, roomId), eq(applications.status, 'offered'), gt(applications.offerExpiresAt, now)));
    return Number(kids?.n ?? 0) + Number(offers?.n ?? 0);
  },
  /**
   * Retention: deletes (at most `limit`) applications closed before `cutoff` — enrolled, declined or withdrawn then, or
   * an offer that expired then and was never answered — and answers what was deleted.
   */
  async purgeClosed(tx: Tx, tenantId: string, cutoff: Date, limit: number) {
    return tx
      .delete(applications)
      .where(
        and(
          eq(applications.tenantId, tenantId),
          sql`${applications.id} in (select id from ${applications} where tenant_id = ${tenantId} and (
              (closed_at is not null and closed_at < ${cutoff})
              or (status in ('offered', 'expired') and offer_expires_at < ${cutoff})) limit ${limit})`,
        ),
      )
      .returning({ id: applications.id, status: applications.status, closedAt: applications.closedAt, offerExpiresAt: applications.offerExpiresAt });
  },
  /** Compare-and-set on the version: undefined when the row changed (or vanished) meanwhile. */
  async update(tx: Tx, tenantId: string, id: string, patch: Partial<ApplicationInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(applications)
      .set({ ...patch, updatedAt: now, version: sql`${applications.version} + 1` })
      .where(and(eq(applications.tenantId, tenantId), eq(applications.id, id), eq(applications.version, expectedVersion)))
      .returning();
    return row;
  },
};

export const waitlistSettingsRepository = {
  async get(tx: Tx, tenantId: string) {
    const [row] = await tx.select().from(waitlistSettings).where(eq(waitlistSettings.tenantId, tenantId));
    return row;
  },
  async upsert(tx: Tx, tenantId: string, values: { priorities: string[]; offerHoldHours: number; retentionMonths: number }, now: Date) {
    const [row] = await tx
      .insert(waitlistSettings)
      .values({ tenantId, ...values, updatedAt: now })
      .onConflictDoUpdate({ target: waitlistSettings.tenantId, set: { ...values, updatedAt: now } })
      .returning();
    return row!;
  },
};
