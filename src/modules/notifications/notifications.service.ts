import type { Mailer } from '../../adapters/mail/mailer.js';
import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { localDate, localTime } from '../../core/time.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { forTenant, systemWide, type Database, type Tx } from '../../db/db.js';
import { notificationsRepository as repo, type DeliveryRow } from './notifications.repository.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import type { NotificationType, Notify } from '../../kernel/notify-port.js';
import { NOTIFICATION_TYPES, renderEmail, TYPE_NAMES } from './types.js';

export const DEFAULT_DIGEST_AT = '18:00';
/** How long a claimed delivery stays claimed: a worker that died holding it lets it go after this. */

/**
 * Whether a centre's digest time has come at `now`: its local wall clock has reached `digestAt`. A minute that does
 * not exist locally (a DST gap) is passed by the first local minute after it, which is later on the wall clock.
 */
export function digestHasCome(now: Date, timeZone: string, digestAt: string) {
  return localTime(now, timeZone) >= digestAt;
}

/** `p***@example.com`: the first character, `***`, and the whole domain. */
export function maskEmail(email: string) {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

const deliveryDto = (d: DeliveryRow) => ({
  id: d.id,
  type: d.type,
  channel: d.channel,
  recipient: maskEmail(d.recipient),
  status: d.status,
  attempts: d.attempts,
  lastError: d.lastError,
  sentAt: d.sentAt ? new Date(d.sentAt).toISOString() : null,
  createdAt: new Date(d.createdAt).toISOString(),
});

/** Types a member receives: message.received for everyone; the child's news for guardians; billing for payers and billing staff. */
function receivable(ctx: Pick<TenantContext, 'roles' | 'entitlements'>): NotificationType[] {
  const guardian = ctx.roles.includes('guardian');
  const billingStaff = ctx.entitlements.includes('billing') && ctx.roles.some((r) => r === 'owner' || r === 'admin');
  return TYPE_NAMES.filter((t) => {
    switch (t) {
      case 'message.received':
        return true;
      case 'incident.reviewed':
      case 'attendance.checked_in':
      case 'attendance.checked_out':
      case 'daily_report.ready':
      case 'invoice.issued':
      case 'payment.succeeded':
        return guardian;
      case 'payment.failed':
        return guardian || billingStaff;
      default:
        return false; // emails to addresses (invitees, applicants), never a member's
    }
  });
}

interface Deps {
  db: Database;
  clock: Clock;
  logger: Logger;
  mailer: Mailer;
  notify: Notify;
  config: { appUrl: string; from: string; retrySeconds: number[]; /** How long a claimed email is the claimer's (NOTIFY_SEND_LEASE_SECONDS, default 120). */ sendLeaseSeconds?: number };
}

/**
 * Notifications (CONTRACT "Notifications"): the member's inbox and email preferences, the delivery log, the centre's
 * digest time — and, for the worker host, sending the due emails and starting the daily digests. The in-app rows and
 * the pending deliveries are written by `notify` (notify.ts) inside the transaction of the change that causes them.
 */
export function createNotificationsService({ db, clock, logger, mailer, notify, config }: Deps) {
  async function preferencesOf(ctx: TenantContext) {
    const stored = await db.scoped(forTenant(ctx), (tx) => repo.preferences(tx, ctx.tenantId, ctx.membershipId));
    return {
      items: receivable(ctx).map((type) => {
        const rules = NOTIFICATION_TYPES[type];
        return { type, email: rules.canTurnOff ? (stored.get(type) ?? rules.email) : true, canTurnOff: rules.canTurnOff };
      }),
    };
  }

  /** Whether the delivery should still go: the member, the link to the child, the preference, the unread message. */
  async function stillWanted(d: DeliveryRow): Promise<string | null> {
    const type = d.type as NotificationType;
    const rules = NOTIFICATION_TYPES[type];
    return db.scoped(forTenant(d.tenantId), async (tx) => {
      if (type === 'membership.invited' && !(await repo.invitationOpen(tx, d.tenantId, d.subjectId))) return 'the invitation was answered or withdrawn';
      if (d.membershipId) {
        if (!(await repo.memberActive(tx, d.tenantId, d.membershipId))) return 'no longer an active member';
        if (rules.canTurnOff) {
          const pref = (await repo.emailPreferences(tx, d.tenantId, [d.membershipId], type)).get(d.membershipId);
          if (!(pref ?? rules.email)) return 'email turned off';
        }
        if (type === 'message.received' && (await repo.messageRead(tx, d.tenantId, d.subjectId, d.membershipId))) return 'read in the app before the email was due';
      }
      const studentId = typeof d.data.studentId === 'string' ? d.data.studentId : null;
      if (d.guardianId && studentId && !(await repo.guardianMayView(tx, d.tenantId, d.guardianId, studentId))) return 'no longer allowed to see the child';
      if (d.guardianId && !studentId && !(await repo.guardians(tx, d.tenantId, [d.guardianId])).length) return 'the guardian record was archived';
      return null;
    });
  }

  async function finish(d: DeliveryRow, v: Parameters<typeof repo.finish>[3]) {
    await db.scoped(forTenant(d.tenantId), (tx) => repo.finish(tx, d.tenantId, d.id, v));
  }

  async function sendOne(d: DeliveryRow) {
    const skip = await stillWanted(d);
    if (skip) return finish(d, { status: 'skipped', lastError: skip });
    const centreName = await db.scoped(forTenant(d.tenantId), (tx) => repo.centreName(tx, d.tenantId));
    const type = d.type as NotificationType;
    const mail = renderEmail(type, { centreName, ...d.data }, { type: d.subjectType, id: d.subjectId }, config.appUrl);
    const headers: Record<string, string> = {};
    if (NOTIFICATION_TYPES[type].canTurnOff) headers['List-Unsubscribe'] = `<${config.appUrl}?notificationPreferences=1>`;
    try {
      await mailer.send({
        from: config.from,
        fromName: centreName ?? undefined,
        to: d.recipient,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers,
        messageId: `<${d.id}@daycare.notifications>`,
      });
      await finish(d, { status: 'sent', lastError: null });
    } catch (err) {
      const e = err as { message?: string; permanent?: boolean };
      const error = (e.message ?? String(err)).slice(0, 500);
      // attempts counts this try: after the k-th failure wait retrySeconds[k-1]; with none left (or a 5xx) it has failed.
      const wait = e.permanent ? undefined : config.retrySeconds[d.attempts - 1];
      if (wait === undefined) {
        logger.warn({ deliveryId: d.id, tenantId: d.tenantId, attempts: d.attempts, err: error }, 'email delivery failed');
        await finish(d, { status: 'failed', lastError: error });
      } else {
        await finish(d, { status: 'pending', lastError: error, retryAt: new Date(Date.now() + wait * 1000) });
      }
    }
  }

  let lastDigestMinute = '';
  /** Centre-days whose digest this process already claimed: no insert attempt per centre per minute until midnight. */
  const digested = new Set<string>();
  /**
   * The daily report digests whose time has come: once a minute at most, one system-scope read of every centre's
   * zone and digest time; a centre whose local time has reached its `digestAt` (a nonexistent DST minute is passed by
   * the first valid one after it) and whose digest of the local day has not run (task_runs) gets one
   * `daily_report.ready` per guardian, naming all their children with an entry visible to guardians that day.
   */
  async function digestDue(now: Date) {
    const minute = now.toISOString().slice(0, 16);
    if (minute === lastDigestMinute) return 0;
    lastDigestMinute = minute;
    const centres = await db.scoped(systemWide(), (tx) => repo.digestDirectory(tx));
    let sent = 0;
    for (const c of centres) {
      const day = localDate(now, c.timezone);
      if (digested.has(`${c.id}:${day}`) || !digestHasCome(now, c.timezone, c.digestAt ?? DEFAULT_DIGEST_AT)) continue;
      if (digested.size > 100_000) digested.clear();
      digested.add(`${c.id}:${day}`);
      sent += await db.scoped(forTenant(c.id), async (tx) => {
        if (!(await repo.claimDigest(tx, c.id, day))) return 0;
        const rows = await repo.digestRecipients(tx, c.id, day);
        const byGuardian = new Map<string, string[]>();
        for (const r of rows) byGuardian.set(r.guardianId, [...(byGuardian.get(r.guardianId) ?? []), r.firstName]);
        for (const [guardianId, names] of byGuardian)
          await notify(tx, c.id, {
            type: 'daily_report.ready',
            subject: { type: 'daily_report', id: day },
            recipients: { guardianIds: [guardianId] },
            data: { date: day, childFirstName: names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0] },
          });
        return byGuardian.size;
      });
    }
    return sent;
  }

  async function settingsIn(tx: Tx, tenantId: string) {
    return { digestAt: (await repo.digestAt(tx, tenantId)) ?? DEFAULT_DIGEST_AT };
  }
  /** The digest time in the caller's transaction; the same time again is no change (no audit row). */
  async function writeSettings(tx: Tx, ctx: TenantContext, patch: { digestAt?: string }) {
    const before = (await repo.digestAt(tx, ctx.tenantId)) ?? DEFAULT_DIGEST_AT;
    const digestAt = patch.digestAt;
    if (digestAt === undefined || before === digestAt) return { digestAt: before };
    await repo.setDigestAt(tx, ctx.tenantId, digestAt, clock.now());
    await auditRepository.append(tx, { ...auditActor(ctx), action: 'notification_settings.updated', targetType: 'tenant', targetId: ctx.tenantId, before: { digestAt: before }, after: { digestAt } });
    return { digestAt };
  }

  return {
    notify,

    async list(ctx: TenantContext, q: { unread?: boolean; limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => repo.list(tx, ctx.tenantId, ctx.membershipId, { unread: q.unread, cursor, limit: q.limit }));
      return toPage(
        rows,
        q.limit,
        (n) => ({
          id: n.id,
          type: n.type,
          title: n.title,
          subject: { type: n.subjectType, id: n.subjectId },
          createdAt: new Date(n.createdAt).toISOString(),
          readAt: n.readAt ? new Date(n.readAt).toISOString() : null,
        }),
        (n) => n.id,
      );
    },

    /** Another member's notification (or a malformed id) is not found. */
    async markRead(ctx: TenantContext, id: string) {
      if (!isUuid(id)) throw notFound('Notification');
      const ok = await db.scoped(forTenant(ctx), (tx) => repo.markRead(tx, ctx.tenantId, ctx.membershipId, id.toLowerCase(), clock.now()));
      if (!ok) throw notFound('Notification');
    },

    async readAll(ctx: TenantContext) {
      await db.scoped(forTenant(ctx), (tx) => repo.readAll(tx, ctx.tenantId, ctx.membershipId, clock.now()));
    },

    preferences: preferencesOf,

    /** Types not named keep their setting; a type that cannot be turned off → 422. */
    async setPreferences(ctx: TenantContext, items: { type: NotificationType; email: boolean }[]) {
      const refused = items.filter((i) => !i.email && !NOTIFICATION_TYPES[i.type].canTurnOff);
      if (refused.length)
        throw unprocessable(
          'These notifications cannot be turned off',
          refused.map((i) => ({ path: `items.${items.indexOf(i)}.type`, message: `${i.type} cannot be turned off` })),
        );
      const now = clock.now();
      await db.scoped(forTenant(ctx), async (tx) => {
        for (const i of items) if (NOTIFICATION_TYPES[i.type].canTurnOff) await repo.setPreference(tx, ctx.tenantId, ctx.membershipId, i.type, i.email, now);
      });
      return preferencesOf(ctx);
    },

    async deliveries(ctx: TenantContext, q: { type?: string; status?: string; limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => repo.listDeliveries(tx, ctx.tenantId, { type: q.type, status: q.status, cursor, limit: q.limit }));
      return toPage(rows, q.limit, deliveryDto, (d) => d.id);
    },

    /** GET /tenant `notifications` (tenancy's settings sections): read in the tenant's transaction. */
    settingsIn,
    /** PATCH /tenant `{"notifications": {"digestAt"}}` (owners, like every tenant setting): in the tenant change's transaction; audited. */
    writeSettings,

    /**
     * The worker: claims due deliveries one by one (a lease, attempts + 1), re-checks each recipient, sends, and records
     * sent / skipped / retried (after the next wait of NOTIFY_RETRY_SECONDS) / failed. Answers how many it handled.
     */
    async sendDue(limit = 50, foreignGraceSeconds: number | null = null) {
      await digestDue(clock.now()).catch((err) => logger.error({ err }, 'daily digest failed'));
      let handled = 0;
      for (let round = 0; round < 20; round++) {
        const due = await db.scoped(systemWide(), (tx) => repo.due(tx, limit, foreignGraceSeconds));
        for (const { id, tenantId } of due) {
          const d = await db.scoped(forTenant(tenantId), (tx) => repo.claim(tx, tenantId, id, config.sendLeaseSeconds ?? 120));
          if (!d) continue;
          handled++;
          try {
            await sendOne(d);
          } catch (err) {
            // The database failed mid-way: the lease runs out and the delivery is tried again.
            logger.error({ deliveryId: id, tenantId, err }, 'email delivery interrupted');
          }
        }
        if (due.length < limit) break;
      }
      return handled;
    },

    digestDue,
  };
}
export type NotificationsService = ReturnType<typeof createNotificationsService>;
