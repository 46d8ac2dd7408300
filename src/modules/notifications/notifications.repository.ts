import { queryRows, type Tx } from '../../db/db.js';
import { PROCESS_ORIGIN } from '../../db/outbox.repository.js';

/** A notification as the inbox lists it. */
export interface NotificationRow {
  id: string;
  type: string;
  title: string;
  subjectType: string;
  subjectId: string;
  createdAt: Date;
  readAt: Date | null;
}

export interface DeliveryRow {
  id: string;
  tenantId: string;
  type: string;
  channel: 'email';
  recipient: string;
  membershipId: string | null;
  guardianId: string | null;
  subjectType: string;
  subjectId: string;
  data: Record<string, string | number | null>;
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  createdAt: Date;
}

const DELIVERY = `id, tenant_id as "tenantId", type, channel, recipient, membership_id as "membershipId", guardian_id as "guardianId",
  subject_type as "subjectType", subject_id as "subjectId", data, status, attempts, last_error as "lastError", sent_at as "sentAt", created_at as "createdAt"`;
const NOTIFICATION = `id, type, title, subject_type as "subjectType", subject_id as "subjectId", created_at as "createdAt", read_at as "readAt"`;

export interface NewNotification {
  id: string;
  membershipId: string;
  type: string;
  title: string;
  subjectType: string;
  subjectId: string;
  dedupeKey: string;
}
export interface NewDelivery {
  id: string;
  type: string;
  recipient: string;
  membershipId: string | null;
  guardianId: string | null;
  subjectType: string;
  subjectId: string;
  data: Record<string, unknown>;
  dedupeKey: string;
  sendAfter: Date;
}

/** Notifications, email deliveries, preferences and the centre's digest setting (models/notifications.ts). */
export const notificationsRepository = {
  /** Guardian records (not archived) with their email and, when one exists, the active guardian member of that email. */
  guardians(tx: Tx, tenantId: string, ids: string[]) {
    return queryRows<{ guardianId: string; email: string | null; membershipId: string | null }>(
      tx,
      `select g.id as "guardianId", lower(g.email) as email, m.id as "membershipId"
         from guardians g
         left join memberships m on m.tenant_id = g.tenant_id and m.email = lower(g.email) and m.status = 'active' and 'guardian' = any(m.roles)
        where g.tenant_id = $1 and g.id = any($2::uuid[]) and g.archived_at is null`,
      [tenantId, ids],
    );
  },
  /** Active memberships among `ids`, with their email. */
  members(tx: Tx, tenantId: string, ids: string[]) {
    return queryRows<{ membershipId: string; email: string }>(
      tx,
      `select id as "membershipId", email from memberships where tenant_id = $1 and id = any($2::uuid[]) and status = 'active'`,
      [tenantId, ids],
    );
  },
  /** The centre's active owners and admins whose entitlements include `billing`. */
  billingAdmins(tx: Tx, tenantId: string) {
    return queryRows<{ membershipId: string; email: string }>(
      tx,
      `select id as "membershipId", email from memberships
        where tenant_id = $1 and status = 'active' and roles && array['owner','admin']::text[] and 'billing' = any(entitlements)`,
      [tenantId],
    );
  },
  /** The guardians who may view a child (links with `canViewRecords`, not archived). */
  async viewersOf(tx: Tx, tenantId: string, studentId: string) {
    const rows = await queryRows<{ id: string }>(
      tx,
      `select sg.guardian_id as id from student_guardians sg join guardians g on g.tenant_id = sg.tenant_id and g.id = sg.guardian_id
        where sg.tenant_id = $1 and sg.student_id = $2 and sg.can_view_records and g.archived_at is null`,
      [tenantId, studentId],
    );
    return rows.map((r) => r.id);
  },
  /**
   * The active members who may read a message (CONTRACT §4, entitlement `messaging`): staff read everything; a guardian
   * member the centre-wide messages and those about their children (links with `canViewRecords`) or those children's rooms.
   */
  async messageReaders(tx: Tx, tenantId: string, audienceType: string, audienceId: string | null) {
    const rows = await queryRows<{ id: string }>(
      tx,
      `select m.id from memberships m
        where m.tenant_id = $1 and m.status = 'active' and 'messaging' = any(m.entitlements)
          and (m.roles && array['owner','admin','teacher']::text[]
               or ('guardian' = any(m.roles) and ($2 = 'tenant' or exists (
                     select 1 from guardians g
                       join student_guardians sg on sg.tenant_id = g.tenant_id and sg.guardian_id = g.id and sg.can_view_records
                       join students s on s.tenant_id = sg.tenant_id and s.id = sg.student_id
                      where g.tenant_id = m.tenant_id and lower(g.email) = m.email and g.archived_at is null
                        and (($2 = 'student' and s.id = $3::uuid) or ($2 = 'room' and s.room_id = $3::uuid))))))`,
      [tenantId, audienceType, audienceId],
    );
    return rows.map((r) => r.id);
  },
  /** Explicit email switches of these members for one type. */
  async emailPreferences(tx: Tx, tenantId: string, membershipIds: string[], type: string) {
    if (!membershipIds.length) return new Map<string, boolean>();
    const rows = await queryRows<{ membershipId: string; email: boolean }>(
      tx,
      `select membership_id as "membershipId", email from notification_preferences where tenant_id = $1 and membership_id = any($2::uuid[]) and type = $3`,
      [tenantId, membershipIds, type],
    );
    return new Map(rows.map((r) => [r.membershipId, r.email]));
  },
  async insertNotifications(tx: Tx, tenantId: string, rows: NewNotification[]) {
    if (!rows.length) return;
    await queryRows(
      tx,
      `insert into notifications (tenant_id, id, membership_id, type, title, subject_type, subject_id, dedupe_key)
       select $1, * from unnest($8::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       on conflict (tenant_id, dedupe_key) do nothing`,
      [tenantId, rows.map((r) => r.membershipId), rows.map((r) => r.type), rows.map((r) => r.title), rows.map((r) => r.subjectType), rows.map((r) => r.subjectId), rows.map((r) => r.dedupeKey), rows.map((r) => r.id)],
    );
  },
  async insertDeliveries(tx: Tx, tenantId: string, rows: NewDelivery[]) {
    for (const r of rows)
      await queryRows(
        tx,
        `insert into notification_deliveries (tenant_id, type, recipient, membership_id, guardian_id, subject_type, subject_id, data, dedupe_key, send_after, id, origin)
         values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12) on conflict (tenant_id, dedupe_key) do nothing`,
        [tenantId, r.type, r.recipient, r.membershipId, r.guardianId, r.subjectType, r.subjectId, JSON.stringify(r.data), r.dedupeKey, r.sendAfter, r.id, PROCESS_ORIGIN],
      );
  },

  // ---------------------------------------------------------------- the inbox
  list(tx: Tx, tenantId: string, membershipId: string, opts: { unread?: boolean; cursor?: string; limit: number }) {
    return queryRows<NotificationRow>(
      tx,
      `select ${NOTIFICATION} from notifications
        where tenant_id = $1 and membership_id = $2 and ($3::boolean is not true or read_at is null) and ($4::uuid is null or id < $4::uuid)
        order by id desc limit $5`,
      [tenantId, membershipId, opts.unread ?? null, opts.cursor ?? null, opts.limit + 1],
    );
  },
  async markRead(tx: Tx, tenantId: string, membershipId: string, id: string, now: Date) {
    const r = await queryRows<{ id: string }>(
      tx,
      `update notifications set read_at = coalesce(read_at, $4), updated_at = $4, version = version + case when read_at is null then 1 else 0 end
        where tenant_id = $1 and membership_id = $2 and id = $3 returning id`,
      [tenantId, membershipId, id, now],
    );
    return r.length > 0;
  },
  async readAll(tx: Tx, tenantId: string, membershipId: string, now: Date) {
    await queryRows(tx, `update notifications set read_at = $3, updated_at = $3, version = version + 1 where tenant_id = $1 and membership_id = $2 and read_at is null`, [tenantId, membershipId, now]);
  },
  async preferences(tx: Tx, tenantId: string, membershipId: string) {
    const rows = await queryRows<{ type: string; email: boolean }>(tx, `select type, email from notification_preferences where tenant_id = $1 and membership_id = $2`, [tenantId, membershipId]);
    return new Map(rows.map((r) => [r.type, r.email]));
  },
  async setPreference(tx: Tx, tenantId: string, membershipId: string, type: string, email: boolean, now: Date) {
    await queryRows(
      tx,
      `insert into notification_preferences (tenant_id, membership_id, type, email, updated_at) values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, membership_id, type) do update set email = excluded.email, updated_at = excluded.updated_at`,
      [tenantId, membershipId, type, email, now],
    );
  },

  // ---------------------------------------------------------------- the delivery log and the sender
  listDeliveries(tx: Tx, tenantId: string, opts: { type?: string; status?: string; cursor?: string; limit: number }) {
    return queryRows<DeliveryRow>(
      tx,
      `select ${DELIVERY} from notification_deliveries
        where tenant_id = $1 and ($2::text is null or type = $2) and ($3::text is null or status = $3) and ($4::uuid is null or id < $4::uuid)
        order by id desc limit $5`,
      [tenantId, opts.type ?? null, opts.status ?? null, opts.cursor ?? null, opts.limit + 1],
    );
  },
  /** Due deliveries across centres (the system scope sees pending rows only); other processes' after the grace (outbox.repository.ts). */
  due(tx: Tx, limit: number, foreignGraceSeconds: number | null) {
    return queryRows<{ id: string; tenantId: string }>(
      tx,
      `select id, tenant_id as "tenantId" from notification_deliveries
        where status = 'pending' and send_after <= now() and ($2::float8 is null or origin = $3 or send_after <= now() - make_interval(secs => $2::float8))
        order by send_after, id limit $1`,
      [limit, foreignGraceSeconds, PROCESS_ORIGIN],
    );
  },
  /** Claims one due delivery for `leaseSeconds` (attempts + 1); undefined when another worker has it or it is done. */
  async claim(tx: Tx, tenantId: string, id: string, leaseSeconds: number) {
    const [row] = await queryRows<DeliveryRow>(
      tx,
      `update notification_deliveries set attempts = attempts + 1, send_after = now() + make_interval(secs => $3), updated_at = now(), version = version + 1
        where tenant_id = $1 and id = $2 and status = 'pending' and send_after <= now() returning ${DELIVERY}`,
      [tenantId, id, leaseSeconds],
    );
    return row;
  },
  async finish(tx: Tx, tenantId: string, id: string, v: { status: 'sent' | 'failed' | 'skipped' | 'pending'; lastError?: string | null; retryAt?: Date }) {
    await queryRows(
      tx,
      `update notification_deliveries set status = $3, last_error = $4, sent_at = case when $3 = 'sent' then now() else sent_at end,
         send_after = coalesce($5::timestamptz, send_after), updated_at = now(), version = version + 1
        where tenant_id = $1 and id = $2`,
      [tenantId, id, v.status, v.lastError ?? null, v.retryAt ?? null],
    );
  },

  // ---------------------------------------------------------------- what a delivery re-checks before it goes
  async memberActive(tx: Tx, tenantId: string, membershipId: string) {
    const r = await queryRows<{ id: string }>(tx, `select id from memberships where tenant_id = $1 and id = $2 and status = 'active'`, [tenantId, membershipId]);
    return r.length > 0;
  },
  async invitationOpen(tx: Tx, tenantId: string, membershipId: string) {
    const r = await queryRows<{ id: string }>(tx, `select id from memberships where tenant_id = $1 and id = $2 and status = 'invited'`, [tenantId, membershipId]);
    return r.length > 0;
  },
  async guardianMayView(tx: Tx, tenantId: string, guardianId: string, studentId: string) {
    const r = await queryRows<{ id: string }>(
      tx,
      `select sg.guardian_id as id from student_guardians sg join guardians g on g.tenant_id = sg.tenant_id and g.id = sg.guardian_id
        where sg.tenant_id = $1 and sg.guardian_id = $2 and sg.student_id = $3 and sg.can_view_records and g.archived_at is null`,
      [tenantId, guardianId, studentId],
    );
    return r.length > 0;
  },
  async messageRead(tx: Tx, tenantId: string, messageId: string, membershipId: string) {
    const r = await queryRows<{ id: string }>(tx, `select message_id as id from message_reads where tenant_id = $1 and message_id = $2 and membership_id = $3`, [tenantId, messageId, membershipId]);
    return r.length > 0;
  },
  async centreName(tx: Tx, tenantId: string) {
    const [r] = await queryRows<{ name: string }>(tx, `select name from tenants where id = $1`, [tenantId]);
    return r?.name ?? null;
  },

  // ---------------------------------------------------------------- settings and the digest
  async digestAt(tx: Tx, tenantId: string) {
    const [r] = await queryRows<{ digestAt: string }>(tx, `select digest_at as "digestAt" from notification_settings where tenant_id = $1`, [tenantId]);
    return r?.digestAt ?? null;
  },
  async setDigestAt(tx: Tx, tenantId: string, digestAt: string, now: Date) {
    await queryRows(
      tx,
      `insert into notification_settings (tenant_id, digest_at, updated_at) values ($1, $2, $3) on conflict (tenant_id) do update set digest_at = excluded.digest_at, updated_at = excluded.updated_at`,
      [tenantId, digestAt, now],
    );
  },
  /** Every centre with its time zone and digest time (the system scope: tenants' directory and the settings). */
  digestDirectory(tx: Tx) {
    return queryRows<{ id: string; timezone: string; digestAt: string | null }>(
      tx,
      `select t.id, t.timezone, s.digest_at as "digestAt" from tenants t left join notification_settings s on s.tenant_id = t.id where t.deleted_at is null`,
      [],
    );
  },
  /** Claims the centre's digest of one local day (task_runs); false when it already ran. */
  async claimDigest(tx: Tx, tenantId: string, day: string) {
    const r = await queryRows<{ day: string }>(tx, `insert into task_runs (tenant_id, task, day) values ($1, 'notifications.digest', $2) on conflict do nothing returning day`, [tenantId, day]);
    return r.length > 0;
  },
  /** Per guardian who may view them: the children with at least one entry visible to guardians on `day`. */
  digestRecipients(tx: Tx, tenantId: string, day: string) {
    return queryRows<{ guardianId: string; studentId: string; firstName: string }>(
      tx,
      `select distinct sg.guardian_id as "guardianId", s.id as "studentId", s.first_name as "firstName"
         from care_entries e
         join students s on s.tenant_id = e.tenant_id and s.id = e.student_id
         join student_guardians sg on sg.tenant_id = e.tenant_id and sg.student_id = e.student_id and sg.can_view_records
         join guardians g on g.tenant_id = sg.tenant_id and g.id = sg.guardian_id and g.archived_at is null
        where e.tenant_id = $1 and e.date = $2 and e.visible_to_guardians
        order by 1, 3`,
      [tenantId, day],
    );
  },
};
