import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { notificationsRepository as repo, type NewDelivery, type NewNotification } from './notifications.repository.js';
import type { Notify, NotifyRequest } from '../../kernel/notify-port.js';
import { NOTIFICATION_TYPES } from './types.js';

interface Target {
  membershipId: string | null;
  guardianId: string | null;
  email: string | null;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** The dedupe key's stem: the event (type, subject, and the day for a digest). A recipient and channel are appended. */
export const dedupeStem = (req: Pick<NotifyRequest, 'type' | 'subject' | 'data'>) =>
  `${req.type}:${req.subject.type}:${req.subject.id}${req.data.date ? `:${req.data.date}` : ''}`;

/**
 * The real `Notify` (port.ts): resolves the recipients generically, then, in the caller's transaction, writes one
 * in-app notification per member recipient and one pending email delivery per address whose preference allows it.
 * Both carry a dedupe key per (event, recipient, channel) under a unique index, so a replayed request or a job run
 * twice notifies nobody twice. Recipients:
 * - `guardianIds`: the guardian record's email, and — when an active member with role `guardian` has that email —
 *   that member's in-app notification and preferences (archived guardian records receive nothing);
 * - `membershipIds`: active members; `billingAdmins`: the active owners and admins whose entitlements include billing;
 * - `emails`: email only (applicants, invitees).
 */
export function createNotify({ clock, messageDelaySeconds }: { clock: Clock; messageDelaySeconds: number }): Notify {
  return async (tx, tenantId, req) => {
    const rules = NOTIFICATION_TYPES[req.type];
    const r = req.recipients;
    const targets: Target[] = [];
    if (r.guardianIds?.length) for (const g of await repo.guardians(tx, tenantId, uniq(r.guardianIds))) targets.push(g);
    if (r.membershipIds?.length)
      for (const m of await repo.members(tx, tenantId, uniq(r.membershipIds))) targets.push({ membershipId: m.membershipId, guardianId: null, email: m.email });
    if (r.billingAdmins) for (const m of await repo.billingAdmins(tx, tenantId)) targets.push({ membershipId: m.membershipId, guardianId: null, email: m.email });
    for (const e of r.emails ?? []) if (e.trim()) targets.push({ membershipId: null, guardianId: null, email: e.trim().toLowerCase() });
    if (!targets.length) return;

    const stem = dedupeStem(req);
    const memberIds = uniq(targets.map((t) => t.membershipId).filter((m): m is string => !!m));
    const title = rules.title(req.data);
    const inApp: NewNotification[] = memberIds.map((m) => ({
      id: newId(),
      membershipId: m,
      type: req.type,
      title,
      subjectType: req.subject.type,
      subjectId: req.subject.id,
      dedupeKey: `${stem}:m:${m}`,
    }));
    await repo.insertNotifications(tx, tenantId, inApp);

    const prefs = rules.canTurnOff ? await repo.emailPreferences(tx, tenantId, memberIds, req.type) : new Map<string, boolean>();
    const wants = (t: Target) => !rules.canTurnOff || (t.membershipId ? (prefs.get(t.membershipId) ?? rules.email) : rules.email);
    const now = clock.now();
    const sendAfter = req.type === 'message.received' ? new Date(now.getTime() + messageDelaySeconds * 1000) : now;
    const data = Object.fromEntries(Object.entries(req.data).filter(([, v]) => v !== undefined));
    // One email per address; a member's own target first, so the send re-checks that member.
    const byEmail = new Map<string, Target>();
    for (const t of [...targets].sort((a, b) => Number(!!b.membershipId) - Number(!!a.membershipId)))
      if (t.email && !byEmail.has(t.email)) byEmail.set(t.email, t);
    const emails: NewDelivery[] = [];
    for (const [email, t] of byEmail) {
      if (!wants(t)) continue;
      emails.push({
        id: newId(),
        type: req.type,
        recipient: email,
        membershipId: t.membershipId,
        guardianId: t.guardianId,
        subjectType: req.subject.type,
        subjectId: req.subject.id,
        data,
        dedupeKey: `${stem}:e:${email}`,
        sendAfter,
      });
    }
    await repo.insertDeliveries(tx, tenantId, emails);
  };
}
