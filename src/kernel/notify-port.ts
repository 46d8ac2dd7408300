import type { Tx } from '../db/db.js';
export type NotificationType =
  | 'membership.invited' | 'incident.reviewed' | 'message.received' | 'attendance.checked_in' | 'attendance.checked_out'
  | 'daily_report.ready' | 'invoice.issued' | 'payment.succeeded' | 'payment.failed' | 'application.received' | 'offer.made';
export interface NotifyRequest {
  type: NotificationType;
  /** what the in-app notification points at, e.g. { type: 'invoice', id } */
  subject: { type: string; id: string };
  /** who: guardian records (resolved to their member account by email, and their email), memberships, raw addresses
   *  (applicants, invitees: email only), and/or the centre's owners+admins who have the `billing` entitlement */
  recipients: { guardianIds?: string[]; membershipIds?: string[]; emails?: string[]; billingAdmins?: boolean };
  /** only what an email may carry: a child's first name, an amount, a period, ids/tokens for links — never descriptions,
   *  care-log or message text, allergies or notes */
  data: Record<string, string | number | null | undefined>;
}
/** Called inside the caller's transaction (the tenant's scoped tx): writes the in-app notifications and the pending
 *  email deliveries for the change, so a rollback announces nothing and an idempotent replay notifies nobody twice. */
export type Notify = (tx: Tx, tenantId: string, req: NotifyRequest) => Promise<void>;
