import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { attendance, kiosks, studentGuardians, students } from '../../models/index.js';
import { queryRows, type Tx } from '../../db/db.js';

/**
 * A PIN at the door in one statement (issue 28): the adult the PIN names (if any), the attempt reserved in the kiosk's
 * row exactly as `reservePinAttempt` reserves it and, when the PIN is right, given back in the same update (a right PIN
 * does not count, as `releasePinAttempt` had it), and the adult's children as `childrenOf` reads them. No row when the
 * kiosk refused the attempt (locked, or the window's attempts used up). $1 tenant, $2 kiosk, $3 the PIN's hash (null
 * for a malformed PIN), $4 now, $5 the window's attempts, $6 the window in seconds.
 */
const FRESH = `(pin_window_ends_at is null or pin_window_ends_at <= $4::timestamptz)`;
const SIGN_IN = `with g as (select id, first_name from guardians where tenant_id = $1 and pin_hash = $3 and archived_at is null),
  k as (update kiosks set
      pin_failures = case when ${FRESH} then 1 else pin_failures + 1 end - (select count(*)::int from g),
      pin_window_ends_at = case when ${FRESH} then $4::timestamptz + make_interval(secs => $6) else pin_window_ends_at end
    where tenant_id = $1 and id = $2 and revoked_at is null and (pin_locked_until is null or pin_locked_until <= $4::timestamptz)
      and (${FRESH} or pin_failures < $5)
    returning pin_failures)
  select k.pin_failures + (select count(*)::int from g) as n, g.id as "guardianId", g.first_name as "guardianFirstName",
    c.id, c."firstName", c."lastName", c."authorizedPickup", c."checkedIn"
  from k left join g on true left join lateral (
    select s.id, s.first_name as "firstName", s.last_name as "lastName", sg.authorized_pickup as "authorizedPickup",
      exists (select 1 from attendance a where a.tenant_id = s.tenant_id and a.student_id = s.id and a.check_out_at is null) as "checkedIn"
    from student_guardians sg join students s on s.tenant_id = sg.tenant_id and s.id = sg.student_id
    where sg.tenant_id = $1 and sg.guardian_id = g.id and s.archived_at is null and (sg.can_view_records or sg.authorized_pickup)
  ) c on true
  order by c."firstName", c."lastName", c.id`;

export interface KioskChild {
  id: string;
  firstName: string;
  lastName: string;
  authorizedPickup: boolean;
  checkedIn: boolean;
}
/** The outcome of a PIN: refused (no attempt left), wrong (`n` = the attempt's number in its window), or the adult. */
export type SignIn = { refused: true } | { refused: false; n: number; guardian: { id: string; firstName: string; children: KioskChild[] } | undefined };

/** The checked mapper of SIGN_IN's rows. */
export function signInOf(rows: Record<string, unknown>[]): SignIn {
  if (!rows.length) return { refused: true };
  const first = rows[0]!;
  const need = <T>(row: Record<string, unknown>, key: string, ok: (v: unknown) => boolean): T => {
    if (!ok(row[key])) throw new Error(`kiosk sign-in statement: unexpected ${key}`);
    return row[key] as T;
  };
  const str = (v: unknown) => typeof v === 'string';
  const n = need<number>(first, 'n', (v) => typeof v === 'number');
  const guardianId = need<string | null>(first, 'guardianId', (v) => v === null || str(v));
  if (!guardianId) return { refused: false, n, guardian: undefined };
  const children = rows
    .filter((r) => r.id !== null)
    .map((r) => ({
      id: need<string>(r, 'id', str),
      firstName: need<string>(r, 'firstName', str),
      lastName: need<string>(r, 'lastName', str),
      authorizedPickup: need<boolean>(r, 'authorizedPickup', (v) => typeof v === 'boolean'),
      checkedIn: need<boolean>(r, 'checkedIn', (v) => typeof v === 'boolean'),
    }));
  return { refused: false, n, guardian: { id: guardianId, firstName: need<string>(first, 'guardianFirstName', str), children } };
}

export type KioskRow = typeof kiosks.$inferSelect;

export const kiosksRepository = {
  async insert(tx: Tx, values: typeof kiosks.$inferInsert & { tenantId: string }) {
    const [row] = await tx.insert(kiosks).values(values).returning();
    return row!;
  },
  /** A live (not revoked) kiosk. */
  async getLive(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(kiosks).where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id), isNull(kiosks.revokedAt)));
    return row;
  },
  async getForUpdate(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(kiosks).where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id))).for('update');
    return row;
  },
  async listLive(tx: Tx, tenantId: string, opts: { cursor?: string; limit: number }) {
    return tx
      .select()
      .from(kiosks)
      .where(and(eq(kiosks.tenantId, tenantId), isNull(kiosks.revokedAt), opts.cursor ? gt(kiosks.id, opts.cursor) : undefined))
      .orderBy(asc(kiosks.id))
      .limit(opts.limit + 1);
  },
  async revoke(tx: Tx, tenantId: string, id: string, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(kiosks)
      .set({ revokedAt: now, updatedAt: now, version: sql`${kiosks.version} + 1` })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id), eq(kiosks.version, expectedVersion)))
      .returning();
    return row;
  },
  /**
   * Reserves one PIN attempt at a live kiosk, atomically (the row's lock serialises concurrent attempts until the
   * transaction ends): counts it in the current window (a new window when the last one ended) unless the kiosk is
   * locked or the window's attempts are used up. Returns the attempt's number in its window, or null when refused.
   */
  async reservePinAttempt(tx: Tx, tenantId: string, id: string, now: Date, max: number, windowSeconds: number): Promise<number | null> {
    const fresh = sql`(${kiosks.pinWindowEndsAt} is null or ${kiosks.pinWindowEndsAt} <= ${now})`;
    const [row] = await tx
      .update(kiosks)
      .set({
        pinFailures: sql`case when ${fresh} then 1 else ${kiosks.pinFailures} + 1 end`,
        pinWindowEndsAt: sql`case when ${fresh} then ${now}::timestamptz + make_interval(secs => ${windowSeconds}) else ${kiosks.pinWindowEndsAt} end`,
      })
      .where(
        and(
          eq(kiosks.tenantId, tenantId),
          eq(kiosks.id, id),
          isNull(kiosks.revokedAt),
          sql`(${kiosks.pinLockedUntil} is null or ${kiosks.pinLockedUntil} <= ${now})`,
          sql`(${fresh} or ${kiosks.pinFailures} < ${max})`,
        ),
      )
      .returning({ n: kiosks.pinFailures });
    return row?.n ?? null;
  },
  /** A PIN at the door, in one statement: see SIGN_IN. */
  async signIn(tx: Tx, tenantId: string, id: string, pinHash: string | null, now: Date, max: number, windowSeconds: number): Promise<SignIn> {
    return signInOf(await queryRows<Record<string, unknown>>(tx, SIGN_IN, [tenantId, id, pinHash, now, max, windowSeconds]));
  },
  /** A right PIN gives its reserved attempt back. */
  async releasePinAttempt(tx: Tx, tenantId: string, id: string) {
    await tx
      .update(kiosks)
      .set({ pinFailures: sql`greatest(${kiosks.pinFailures} - 1, 0)` })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
  },
  /** The attempts of the window are used up by wrong PINs: the kiosk locks until `until`, and a new window starts after. */
  async lockPins(tx: Tx, tenantId: string, id: string, until: Date) {
    await tx
      .update(kiosks)
      .set({ pinLockedUntil: until, pinFailures: 0, pinWindowEndsAt: null })
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
  },
  /** When a refused attempt may try again: the end of the lock, or of the window whose attempts are used up. */
  async pinRetryAt(tx: Tx, tenantId: string, id: string): Promise<Date | null> {
    const [row] = await tx
      .select({ locked: kiosks.pinLockedUntil, window: kiosks.pinWindowEndsAt })
      .from(kiosks)
      .where(and(eq(kiosks.tenantId, tenantId), eq(kiosks.id, id)));
    if (!row) return null;
    const t = Math.max(row.locked?.getTime() ?? 0, row.window?.getTime() ?? 0);
    return t ? new Date(t) : null;
  },
  /**
   * The children an adult may act for at the door: linked, not archived, and either visible to them or theirs to pick
   * up (a pickup-only contact sees the children they collect, nothing more). `checkedIn` = an open attendance record.
   */
  async childrenOf(tx: Tx, tenantId: string, guardianId: string) {
    return tx
      .select({
        id: students.id,
        firstName: students.firstName,
        lastName: students.lastName,
        authorizedPickup: studentGuardians.authorizedPickup,
        canViewRecords: studentGuardians.canViewRecords,
        checkedIn: sql<boolean>`exists (select 1 from ${attendance} a where a.tenant_id = ${students.tenantId} and a.student_id = ${students.id} and a.check_out_at is null)`,
      })
      .from(studentGuardians)
      .innerJoin(students, and(eq(students.tenantId, studentGuardians.tenantId), eq(students.id, studentGuardians.studentId)))
      .where(
        and(
          eq(studentGuardians.tenantId, tenantId),
          eq(studentGuardians.guardianId, guardianId),
          isNull(students.archivedAt),
          sql`(${studentGuardians.canViewRecords} or ${studentGuardians.authorizedPickup})`,
        ),
      )
      .orderBy(asc(students.firstName), asc(students.lastName), asc(students.id));
  },
};
