/**
 * Notifications over HTTP (CONTRACT "Notifications"), with emails received by a real SMTP server started here
 * (tests/helpers/smtp-sink.ts): in-app notifications, email deliveries and their re-checks, retries on a 4xx answer,
 * failure at once on a 5xx, preferences, the delivery log, the digest setting and the daily digest, and the content
 * rule — marker strings planted in incident, care-log and message text, allergies and notes never reach an email.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { addMember } from '../helpers/server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { newCentre, useServer } from '../factories/index.js';

const smtp = await startSmtpSink();
afterAll(() => smtp.close());

const APP_URL = 'https://app.example.test/';
const srv = useServer({ env: { SMTP_URL: smtp.url, EMAIL_FROM: 'hello@daycare.example.test', APP_URL, MESSAGE_EMAIL_DELAY_SECONDS: '1', NOTIFY_RETRY_SECONDS: '1,1' } });

const MARKERS = ['MARKER-INCIDENT-DESC', 'MARKER-ACTION-TAKEN', 'MARKER-CARE-NOTE', 'MARKER-MESSAGE-BODY', 'MARKER-ALLERGY', 'MARKER-STUDENT-NOTES'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The worker's drain, now (kicks after each request are asynchronous; delayed emails need a later pass). */
const drain = async () => {
  await srv.container.workers.idle();
  await srv.container.workers.drain();
};
async function until<T>(fn: () => Promise<T | undefined | false | 0>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(100);
  }
}

/** A centre with a child (first name `Mia`), its guardian record and the guardian's member account. */
async function family() {
  const c = await newCentre(srv, { name: 'Sunny Days' });
  const room = await c.fx.room();
  const child = await c.fx.student({ firstName: 'Mia', roomId: room.id });
  const email = `parent.${child.id.slice(-8)}@example.test`;
  const guardian = await c.fx.guardian({ email, firstName: 'Pat' });
  await c.fx.link(child.id, guardian.id);
  const parent = await addMember(srv, c.owner, ['guardian'], { email });
  return { ...c, room, child, guardian, parent, parentEmail: email };
}

describe('notifications', () => {
  it('membership.invited: one email to the invited address linking APP_URL?invitationId=<id>; a replay sends nothing more', async () => {
    const c = await newCentre(srv, { name: 'Acorn House' });
    const email = `invitee.${Date.now()}@example.test`;
    const first = await c.owner.post('/memberships', { email, roles: ['teacher'] }, { 'idempotency-key': `inv-${email}` });
    expect(first.status).toBe(201);
    const again = await c.owner.post('/memberships', { email, roles: ['teacher'] }, { 'idempotency-key': `inv-${email}` });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await drain();
    const mails = await until(async () => smtp.to(email).length && smtp.to(email));
    await sleep(200);
    await drain();
    expect(smtp.to(email)).toHaveLength(1);
    expect(mails[0]!.raw).toContain(`${APP_URL}?invitationId=${first.body.id}`);
    expect(mails[0]!.raw).toMatch(/From: "?Acorn House"? <hello@daycare\.example\.test>/);
    const log = await c.owner.get('/notification-deliveries?type=membership.invited');
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(1);
    expect(log.body.items[0]).toMatchObject({ type: 'membership.invited', channel: 'email', status: 'sent', attempts: 1, lastError: null });
    expect(log.body.items[0].recipient).toBe(`i***@example.test`);
  });

  it('incident.reviewed: in-app and email for the guardian, naming the child by first name; no incident text in it', async () => {
    const f = await family();
    const inc = await f.owner.post('/incidents', {
      studentId: f.child.id,
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      type: 'injury',
      description: 'MARKER-INCIDENT-DESC grazed knee',
      actionTaken: 'MARKER-ACTION-TAKEN plaster',
    });
    expect(inc.status).toBe(201);
    expect((await f.owner.post(`/incidents/${inc.body.id}/review`, {})).status).toBe(200);
    const inbox = await f.parent.agent.get('/notifications');
    expect(inbox.status).toBe(200);
    const n = inbox.body.items.find((x: any) => x.type === 'incident.reviewed');
    expect(n).toMatchObject({ subject: { type: 'incident', id: inc.body.id }, readAt: null });
    expect(n.title).toContain('Mia');
    await drain();
    const [mail] = await until(async () => smtp.to(f.parentEmail).filter((m) => m.raw.includes('incident')).length && smtp.to(f.parentEmail).filter((m) => m.raw.includes('incident')));
    expect(mail!.raw).toContain('Mia');
    expect(mail!.raw).toContain(`${APP_URL}?incidentId=${inc.body.id}`);
    for (const m of MARKERS) expect(mail!.raw).not.toContain(m);
    // The owner who reviewed is no guardian: nothing for them.
    expect((await f.owner.get('/notifications')).body.items.filter((x: any) => x.type === 'incident.reviewed')).toEqual([]);
  });

  it('message.received: in-app for readers but not the author; the email waits and is skipped when read in time, sent otherwise', async () => {
    const f = await family();
    const sent = await f.owner.post('/messages', { audience: { type: 'student', id: f.child.id }, body: 'MARKER-MESSAGE-BODY pyjama day' });
    expect(sent.status).toBe(201);
    const inbox = (await f.parent.agent.get('/notifications?unread=true')).body.items;
    expect(inbox.filter((x: any) => x.type === 'message.received' && x.subject.id === sent.body.id)).toHaveLength(1);
    expect((await f.owner.get('/notifications')).body.items.filter((x: any) => x.type === 'message.received')).toEqual([]);
    // Read in the app before MESSAGE_EMAIL_DELAY_SECONDS (1 s): the email is skipped.
    expect((await f.parent.agent.post(`/messages/${sent.body.id}/read`, {})).status).toBe(204);
    await sleep(1200);
    await drain();
    let log = (await f.owner.get('/notification-deliveries?type=message.received')).body.items;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'skipped', attempts: 1 });
    // Not read: sent after the delay, never before.
    const second = await f.owner.post('/messages', { audience: { type: 'room', id: f.room.id }, body: 'MARKER-MESSAGE-BODY second' });
    await drain();
    log = (await f.owner.get('/notification-deliveries?type=message.received&status=pending')).body.items;
    expect(log).toHaveLength(1);
    await sleep(1200);
    await drain();
    log = (await f.owner.get('/notification-deliveries?type=message.received&status=sent')).body.items;
    expect(log).toHaveLength(1);
    const mails = smtp.to(f.parentEmail).filter((m) => m.raw.includes(`messageId=${second.body.id}`));
    expect(mails).toHaveLength(1);
    for (const m of MARKERS) expect(mails[0]!.raw).not.toContain(m);
  });

  it('attendance: in-app only by default; an email once the guardian turns it on', async () => {
    const f = await family();
    expect((await f.owner.post('/attendance/check-in', { studentId: f.child.id })).status).toBe(201);
    const items = (await f.parent.agent.get('/notifications')).body.items;
    expect(items.filter((x: any) => x.type === 'attendance.checked_in')).toHaveLength(1);
    await drain();
    expect((await f.owner.get('/notification-deliveries?type=attendance.checked_in')).body.items).toEqual([]);

    const prefs = await f.parent.agent.put('/me/notification-preferences', { items: [{ type: 'attendance.checked_out', email: true }] });
    expect(prefs.status).toBe(200);
    expect(prefs.body.items.find((i: any) => i.type === 'attendance.checked_out')).toEqual({ type: 'attendance.checked_out', email: true, canTurnOff: true });
    const out = await f.owner.post('/attendance/check-out', { studentId: f.child.id });
    expect(out.status).toBe(200);
    await drain();
    const [d] = (await f.owner.get('/notification-deliveries?type=attendance.checked_out')).body.items;
    expect(d).toMatchObject({ status: 'sent', attempts: 1 });
    const mails = smtp.to(f.parentEmail).filter((m) => m.raw.includes('checked out'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain('Mia was checked out');
  });

  it('just before sending, the recipient is checked again: a member suspended meanwhile gets no email (skipped)', async () => {
    const f = await family();
    const sent = await f.owner.post('/messages', { audience: { type: 'student', id: f.child.id }, body: 'hello' });
    expect(sent.status).toBe(201);
    expect((await f.owner.patch(`/memberships/${f.parent.membershipId}`, { status: 'suspended' })).status).toBe(200);
    await sleep(1200);
    await drain();
    const [d] = (await f.owner.get('/notification-deliveries?type=message.received')).body.items;
    expect(d).toMatchObject({ status: 'skipped', sentAt: null });
    expect(d.lastError).toMatch(/no longer an active member/);
    expect(smtp.to(f.parentEmail).filter((m) => m.raw.includes(sent.body.id))).toEqual([]);
  });

  it('preferences: one item per type a member receives; mandatory types cannot be turned off (422); unknown types are 400', async () => {
    const f = await family();
    const got = await f.parent.agent.get('/me/notification-preferences');
    expect(got.status).toBe(200);
    const byType = Object.fromEntries(got.body.items.map((i: any) => [i.type, i]));
    expect(byType['incident.reviewed']).toEqual({ type: 'incident.reviewed', email: true, canTurnOff: false });
    expect(byType['message.received']).toEqual({ type: 'message.received', email: true, canTurnOff: true });
    expect(byType['attendance.checked_in']).toEqual({ type: 'attendance.checked_in', email: false, canTurnOff: true });
    expect(byType['membership.invited']).toBeUndefined();
    const off = await f.parent.agent.put('/me/notification-preferences', { items: [{ type: 'message.received', email: false }] });
    expect(off.status).toBe(200);
    expect(off.body.items.find((i: any) => i.type === 'message.received').email).toBe(false);
    expect(off.body.items.find((i: any) => i.type === 'daily_report.ready').email).toBe(true);
    const refused = await f.parent.agent.put('/me/notification-preferences', { items: [{ type: 'incident.reviewed', email: false }] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('UNPROCESSABLE');
    const unknown = await f.parent.agent.put('/me/notification-preferences', { items: [{ type: 'weather.changed', email: false }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('VALIDATION_ERROR');
    // Turned off: a message makes the in-app notification but no email for them.
    await f.owner.post('/messages', { audience: { type: 'student', id: f.child.id }, body: 'hello' });
    const pending = (await f.owner.get('/notification-deliveries?type=message.received')).body.items;
    expect(pending).toEqual([]);
    // A staff member sees only what staff receive.
    const staffPrefs = await f.owner.get('/me/notification-preferences');
    expect(staffPrefs.body.items.map((i: any) => i.type)).toEqual(['message.received', 'payment.failed']);
  });

  it('read, read-all, unread filter; another member’s notification is 404', async () => {
    const f = await family();
    await f.owner.post('/messages', { audience: { type: 'tenant' }, body: 'one' });
    await f.owner.post('/messages', { audience: { type: 'tenant' }, body: 'two' });
    const mine = (await f.parent.agent.get('/notifications?unread=true')).body.items;
    expect(mine.length).toBe(2);
    expect(Date.parse(mine[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(mine[1].createdAt));
    expect((await f.owner.post(`/notifications/${mine[0].id}/read`, {})).status).toBe(404);
    expect((await f.parent.agent.post(`/notifications/${mine[0].id}/read`, {})).status).toBe(204);
    expect((await f.parent.agent.post(`/notifications/${mine[0].id}/read`, {})).status).toBe(204);
    expect((await f.parent.agent.get('/notifications?unread=true')).body.items.map((n: any) => n.id)).toEqual([mine[1].id]);
    expect((await f.parent.agent.post('/notifications/read-all', {})).status).toBe(204);
    expect((await f.parent.agent.get('/notifications?unread=true')).body.items).toEqual([]);
    const all = (await f.parent.agent.get('/notifications')).body.items;
    expect(all.every((n: any) => n.readAt !== null)).toBe(true);
    // Another centre's member cannot reach it either.
    const other = await newCentre(srv);
    expect((await other.owner.post(`/notifications/${mine[1].id}/read`, {})).status).toBe(404);
    expect((await f.parent.agent.post('/notifications/not-an-id/read', {})).status).toBe(404);
  });

  it('a 4xx SMTP answer is retried after each NOTIFY_RETRY_SECONDS wait, then failed; a 5xx fails at once', async () => {
    const c = await newCentre(srv);
    const temp = `tempfail.${Date.now()}@example.test`;
    const perm = `permfail.${Date.now()}@example.test`;
    expect((await c.owner.post('/memberships', { email: temp, roles: ['teacher'] })).status).toBe(201);
    expect((await c.owner.post('/memberships', { email: perm, roles: ['teacher'] })).status).toBe(201);
    await drain();
    const byRecipient = async () => Object.fromEntries((await c.owner.get('/notification-deliveries')).body.items.map((d: any) => [d.recipient, d]));
    let log = await byRecipient();
    expect(log['p***@example.test']).toMatchObject({ status: 'failed', attempts: 1 });
    expect(log['p***@example.test'].lastError).toMatch(/^550/);
    expect(log['t***@example.test']).toMatchObject({ status: 'pending', attempts: 1 });
    expect(log['t***@example.test'].lastError).toMatch(/^451/);
    log = await until(async () => {
      await sleep(300);
      await drain();
      const l = await byRecipient();
      return l['t***@example.test'].status === 'failed' && l;
    }, 15_000);
    expect(log['t***@example.test']).toMatchObject({ status: 'failed', attempts: 3 });
    const failed = (await c.owner.get('/notification-deliveries?status=failed')).body.items;
    expect(failed).toHaveLength(2);
  });

  it('the delivery log: owners and admins only; 401 without a session; filters validated (400)', async () => {
    const c = await newCentre(srv);
    const teacher = await addMember(srv, c.owner, ['teacher']);
    expect((await teacher.agent.get('/notification-deliveries')).status).toBe(403);
    expect((await teacher.agent.get('/notifications')).status).toBe(200);
    expect((await srv.agent().get('/notification-deliveries')).status).toBe(401);
    expect((await srv.agent().get('/notifications')).status).toBe(401);
    const bad = await c.owner.get('/notification-deliveries?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('GET /tenant shows notifications.digestAt (default 18:00); PATCH /tenant sets it; a malformed time is 400', async () => {
    const c = await newCentre(srv);
    expect((await c.owner.get('/tenant')).body.notifications).toEqual({ digestAt: '18:00' });
    const p = await c.owner.patch('/tenant', { notifications: { digestAt: '17:30' } });
    expect(p.status).toBe(200);
    expect(p.body.notifications).toEqual({ digestAt: '17:30' });
    expect((await c.owner.get('/tenant')).body.notifications).toEqual({ digestAt: '17:30' });
    for (const digestAt of ['25:00', '7:30', 'evening']) {
      const bad = await c.owner.patch('/tenant', { notifications: { digestAt } });
      expect(bad.status, digestAt).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('daily_report.ready: at the centre’s local digestAt, one email per guardian naming all their children with visible entries, once a day', async () => {
    const f = await family();
    const sibling = await f.fx.student({ firstName: 'Leo', roomId: f.room.id });
    await f.fx.link(sibling.id, f.guardian.id);
    const quiet = await f.fx.student({ firstName: 'Zoe', roomId: f.room.id });
    await f.fx.link(quiet.id, f.guardian.id);
    // Allergies and notes on the child, a care note with a marker: never in the email.
    expect((await f.owner.patch(`/students/${f.child.id}`, { allergies: 'MARKER-ALLERGY', notes: 'MARKER-STUDENT-NOTES' })).status).toBe(200);
    const now = new Date();
    const at = new Date(now.getTime() - 60_000).toISOString();
    expect((await f.owner.post(`/students/${f.child.id}/care-entries`, { type: 'note', note: 'MARKER-CARE-NOTE', at })).status).toBe(201);
    expect((await f.owner.post(`/students/${sibling.id}/care-entries`, { type: 'mood', details: { mood: 'happy' }, at })).status).toBe(201);
    // Staff-only entries do not count (Zoe has only one).
    expect((await f.owner.post(`/students/${quiet.id}/care-entries`, { type: 'note', note: 'staff only', visibleToGuardians: false, at })).status).toBe(201);
    // The centre is in UTC: a digest time a minute ago has come, one a minute ahead has not.
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const ahead = new Date(now.getTime() + 120_000);
    if (hhmm(ahead) < hhmm(now)) return; // around midnight UTC the local day changes; nothing to prove then
    await f.owner.patch('/tenant', { notifications: { digestAt: hhmm(ahead) } });
    await srv.container.notifications.digestDue(new Date(now.getTime() + 1000));
    expect((await f.owner.get('/notification-deliveries?type=daily_report.ready')).body.items).toEqual([]);
    await f.owner.patch('/tenant', { notifications: { digestAt: hhmm(now) } });
    await srv.container.notifications.digestDue(new Date(now.getTime() + 61_000));
    await srv.container.notifications.digestDue(new Date(now.getTime() + 121_000));
    await drain();
    const log = (await f.owner.get('/notification-deliveries?type=daily_report.ready')).body.items;
    expect(log).toHaveLength(1);
    const mails = await until(async () => smtp.to(f.parentEmail).filter((m) => m.raw.includes('dailyReport=')).length && smtp.to(f.parentEmail).filter((m) => m.raw.includes('dailyReport=')));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain('Leo and Mia');
    expect(mails[0]!.raw).not.toContain('Zoe');
    expect(mails[0]!.raw).toContain('List-Unsubscribe');
    const inApp = (await f.parent.agent.get('/notifications')).body.items.filter((n: any) => n.type === 'daily_report.ready');
    expect(inApp).toHaveLength(1);
  });

  it('Notify serves the billing and enrolment types: payers by guardian record, billing admins, raw addresses; pickup-only adults get nothing', async () => {
    const f = await family();
    // A pickup-only adult (canViewRecords false) with a member account: never told about the child.
    const pickupEmail = `pickup.${f.child.id.slice(-8)}@example.test`;
    const pickup = await f.fx.guardian({ email: pickupEmail });
    expect((await f.owner.put(`/students/${f.child.id}/guardians/${pickup.id}`, { relationship: 'aunt', authorizedPickup: true, canViewRecords: false })).status).toBe(201);
    const pickupMember = await addMember(srv, f.owner, ['guardian'], { email: pickupEmail });
    expect((await f.owner.post('/attendance/check-in', { studentId: f.child.id })).status).toBe(201);
    expect((await pickupMember.agent.get('/notifications')).body.items).toEqual([]);
    expect((await f.parent.agent.get('/notifications')).body.items.filter((n: any) => n.type === 'attendance.checked_in')).toHaveLength(1);

    const tenantId = f.tenant.id;
    const notify = (req: Parameters<typeof srv.container.notifications.notify>[2]) => srv.container.db.scoped({ tenantId }, (tx) => srv.container.notifications.notify(tx, tenantId, req));
    const applicant = `applicant.${Date.now()}@example.test`;
    await notify({ type: 'payment.failed', subject: { type: 'payment', id: 'p-1' }, recipients: { guardianIds: [f.guardian.id], billingAdmins: true }, data: { amount: 12000, currency: 'USD' } });
    await notify({ type: 'offer.made', subject: { type: 'application', id: 'a-1' }, recipients: { emails: [applicant] }, data: { childFirstName: 'Ada', offerToken: 'tok_abc' } });
    // Replayed (a job run twice): nobody is notified twice.
    await notify({ type: 'offer.made', subject: { type: 'application', id: 'a-1' }, recipients: { emails: [applicant] }, data: { childFirstName: 'Ada', offerToken: 'tok_abc' } });
    await drain();
    const failed = (await f.owner.get('/notification-deliveries?type=payment.failed')).body.items.map((d: any) => d.recipient).sort();
    expect(failed).toEqual([`o***@example.test`, `p***@example.test`].sort());
    expect((await f.parent.agent.get('/notifications')).body.items.filter((n: any) => n.type === 'payment.failed')).toHaveLength(1);
    expect((await f.owner.get('/notifications')).body.items.filter((n: any) => n.type === 'payment.failed')).toHaveLength(1);
    const offers = await until(async () => smtp.to(applicant).length && smtp.to(applicant));
    await sleep(200);
    expect(smtp.to(applicant)).toHaveLength(1);
    expect(offers[0]!.raw).toContain(`${APP_URL}?offerToken=tok_abc`);
  });

  it('no email this suite sent carries incident, care-log or message text, allergies or notes', () => {
    expect(smtp.received.length).toBeGreaterThan(3);
    for (const m of smtp.received) for (const marker of MARKERS) expect(m.raw, marker).not.toContain(marker);
  });
});
