import type { NotificationType } from '../../kernel/notify-port.js';

type Data = Record<string, string | number | null | undefined>;

/**
 * Each type's rules (CONTRACT "Notifications") and its one template: a title (the in-app line and the email's
 * subject), one line of text and a link under APP_URL. Templates read only `data` — what an email may carry (a first
 * name, an amount, a period, ids and tokens for links) — never a description, care-log or message text, allergies or
 * notes, which the callers never put there.
 */
export interface TypeRules {
  /** Email unless the member turned it off. */
  email: boolean;
  canTurnOff: boolean;
  /** Who can receive it (for GET /me/notification-preferences): members of any role, or guardians and billing staff. */
  audience: 'everyone' | 'guardians' | 'billing';
  title(d: Data): string;
  line(d: Data): string;
  /** The query of the link into the app (APP_URL + this). */
  link(d: Data, subject: { type: string; id: string }): string;
}

const child = (d: Data) => (d.childFirstName ? String(d.childFirstName) : 'your child');
const centre = (d: Data) => (d.centreName ? String(d.centreName) : 'your centre');
const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
/** Minor units shown with two decimals, in integer arithmetic (never a float's rounding). */
const money = (d: Data) => {
  if (typeof d.amount !== 'number' || !Number.isSafeInteger(d.amount)) return 'a payment';
  const a = Math.abs(d.amount);
  return `${d.amount < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}${d.currency ? ` ${d.currency}` : ''}`;
};

export const NOTIFICATION_TYPES: Record<NotificationType, TypeRules> = {
  'membership.invited': {
    email: true,
    canTurnOff: false,
    audience: 'everyone',
    title: (d) => `You are invited to join ${centre(d)}`,
    line: (d) => `${centre(d)} invited you to its daycare app. Sign in with this email address to accept or decline.`,
    link: (_d, s) => q({ invitationId: s.id }),
  },
  'incident.reviewed': {
    email: true,
    canTurnOff: false,
    audience: 'guardians',
    title: (d) => `An incident report about ${child(d)} is waiting for you`,
    line: (d) => `An incident report about ${child(d)} has been reviewed and waits for your acknowledgement in the app.`,
    link: (_d, s) => q({ incidentId: s.id }),
  },
  'message.received': {
    email: true,
    canTurnOff: true,
    audience: 'everyone',
    title: () => 'You have a new message',
    line: () => 'You have a new message in the daycare app.',
    link: (_d, s) => q({ messageId: s.id }),
  },
  'attendance.checked_in': {
    email: false,
    canTurnOff: true,
    audience: 'guardians',
    title: (d) => `${child(d)} was checked in`,
    line: (d) => `${child(d)} was checked in.`,
    link: (d) => q({ studentId: String(d.studentId ?? '') }),
  },
  'attendance.checked_out': {
    email: false,
    canTurnOff: true,
    audience: 'guardians',
    title: (d) => `${child(d)} was checked out`,
    line: (d) => `${child(d)} was checked out.`,
    link: (d) => q({ studentId: String(d.studentId ?? '') }),
  },
  'daily_report.ready': {
    email: true,
    canTurnOff: true,
    audience: 'guardians',
    title: (d) => `Today's daily report for ${child(d)}`,
    line: (d) => `The daily report of ${d.date ?? 'today'} for ${child(d)} is ready in the app.`,
    link: (d) => q({ dailyReport: String(d.date ?? '') }),
  },
  'invoice.issued': {
    email: true,
    canTurnOff: true,
    audience: 'billing',
    title: (d) => `A new invoice${d.period ? ` for ${d.period}` : ''}`,
    line: (d) => `An invoice${d.period ? ` for ${d.period}` : ''} of ${money(d)} is ready in the app.`,
    link: (_d, s) => q({ invoiceId: s.id }),
  },
  'payment.succeeded': {
    email: true,
    canTurnOff: true,
    audience: 'billing',
    title: () => 'Payment received',
    line: (d) => `Your payment of ${money(d)} was received. Thank you.`,
    link: (_d, s) => q({ paymentId: s.id }),
  },
  'payment.failed': {
    email: true,
    canTurnOff: false,
    audience: 'billing',
    title: () => 'A payment failed',
    line: (d) => `A payment of ${money(d)} did not go through.`,
    link: (_d, s) => q({ paymentId: s.id }),
  },
  'application.received': {
    email: true,
    canTurnOff: false,
    audience: 'everyone',
    title: (d) => `${centre(d)} received your application`,
    line: (d) => `${centre(d)} received the application for ${child(d)}. You will hear from the centre.`,
    link: () => '',
  },
  'offer.made': {
    email: true,
    canTurnOff: false,
    audience: 'everyone',
    title: (d) => `A place for ${child(d)} at ${centre(d)}`,
    line: (d) => `${centre(d)} offers a place for ${child(d)}. Open the link to accept or decline the offer.`,
    link: (d) => q({ offerToken: String(d.offerToken ?? '') }),
  },
};

export const TYPE_NAMES = Object.keys(NOTIFICATION_TYPES) as NotificationType[];

/** The email a delivery becomes: one line and a link, as text and as minimal HTML. */
export function renderEmail(type: NotificationType, data: Data, subject: { type: string; id: string }, appUrl: string) {
  const rules = NOTIFICATION_TYPES[type];
  const link = `${appUrl}${rules.link(data, subject)}`;
  const title = rules.title(data);
  const line = rules.line(data);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return {
    subject: title,
    text: `${line}\n\n${link}\n`,
    html: `<p>${esc(line)}</p><p><a href="${esc(link)}">${esc(link)}</a></p>`,
    link,
  };
}
