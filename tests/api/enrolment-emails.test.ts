/**
 * Enrolment end to end through the real notifications seam (issue 26 "Done when"): the emails are received by a real SMTP
 * server (tests/helpers/smtp-sink.ts) and the offer is accepted through the link the email carries — a public submission
 * → `application.received`; an offer → `offer.made` with `APP_URL?offerToken=<token>`; lookup and accept with the token
 * taken from the email → the child exists, the guardian is invited (`membership.invited` received); the token is single
 * use; the delivery log shows each email `sent` with its recipient masked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type ReceivedMail } from '../helpers/smtp-sink.js';
import { mkRoom, newCentre, useServer } from '../factories/index.js';
import { publicClient, START } from './enrolment.helpers.js';

const smtp = await startSmtpSink();
afterAll(() => smtp.close());

const APP_URL = 'https://app.example.test/';
const srv = useServer({ env: { SMTP_URL: smtp.url, EMAIL_FROM: 'hello@daycare.example.test', APP_URL, NOTIFY_RETRY_SECONDS: '1,1' } });

const NOTES_MARKER = 'MARKER-APPLICATION-NOTES';
const ALLERGY_MARKER = 'MARKER-ALLERGY-PEANUTS';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const drain = async () => {
  await srv.container.workers.idle();
  await srv.container.workers.drain();
};
/** Drains until `email` has received a message matching `pick`, then returns those messages. */
async function received(email: string, pick: (m: ReceivedMail) => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    await drain();
    const found = smtp.to(email).filter(pick);
    if (found.length) return found;
    if (Date.now() > end) throw new Error(`no matching email for ${email}; received: ${smtp.to(email).map((m) => m.raw.split('\r\n').find((l) => l.startsWith('Subject:'))).join(' | ')}`);
    await sleep(100);
  }
}
const subject = (m: ReceivedMail) => m.raw.split(/\r?\n/).find((l) => l.startsWith('Subject:')) ?? '';

describe('enrolment emails through a real SMTP server', () => {
  it('public submission → application.received; offer → offer.made; accept through the emailed link → enrolled, guardian invited; delivery log', async () => {
    const { owner } = await newCentre(srv, { name: 'Willow Tree' });
    const room = await mkRoom(owner, { name: 'Saplings' });
    const form = await owner.post('/application-forms', { name: 'Website' });
    expect(form.status, form.text).toBe(201);
    const pub = publicClient(srv.url);
    const email = `Applicant.${process.pid}.${Date.now().toString(36)}@Example.test`;
    const lower = email.toLowerCase();
    const body = {
      child: { firstName: 'Juniper', lastName: 'Okafor', dateOfBirth: '2024-05-06' },
      guardian: { firstName: 'Ada', lastName: 'Okafor', email, phone: '+44 20 7946 0000' },
      desiredStartDate: START,
      roomId: room.id,
      notes: `${NOTES_MARKER} severe allergies: ${ALLERGY_MARKER}, carries an EpiPen`,
    };

    // 1. The public form: 201 received, and the applicant's address receives application.received.
    const sub = await pub.post('/public/applications', body, { authorization: `Bearer ${form.body.token}` });
    expect(sub.status, sub.text).toBe(201);
    expect(sub.body).toEqual({ status: 'received' });
    const [app] = (await owner.get('/applications')).body.items;
    expect(app).toMatchObject({ source: 'public', status: 'waitlisted', notes: body.notes });
    const [receivedMail, ...more] = await received(lower, (m) => subject(m).includes('received your application'));
    expect(more).toEqual([]);
    expect(receivedMail!.raw).toMatch(/From: "?Willow Tree"? <hello@daycare\.example\.test>/);
    expect(receivedMail!.raw).toContain('Juniper');
    expect(receivedMail!.raw).not.toContain('Okafor');
    expect(receivedMail!.raw).toContain(APP_URL);
    for (const marker of [NOTES_MARKER, ALLERGY_MARKER, 'EpiPen', 'allergies']) expect(receivedMail!.raw).not.toContain(marker);
    // Every link in it points under APP_URL.
    const links = receivedMail!.raw.match(/https?:\/\/[^\s"<>]+/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l.startsWith(APP_URL), l).toBe(true);

    // 2. Staff offer a place: the applicant receives offer.made with APP_URL?offerToken=<token>.
    const offer = await owner.post(`/applications/${app.id}/offer`, { roomId: room.id, startDate: START });
    expect(offer.status, offer.text).toBe(200);
    expect(offer.body.status).toBe('offered');
    const [offerMail, ...moreOffers] = await received(lower, (m) => m.raw.includes('?offerToken='));
    expect(moreOffers).toEqual([]);
    expect(offerMail!.raw).toContain('Juniper');
    for (const marker of [NOTES_MARKER, ALLERGY_MARKER, 'EpiPen']) expect(offerMail!.raw).not.toContain(marker);
    const escaped = APP_URL.replace(/[.?/]/g, (c) => `\\${c}`);
    const found = new RegExp(`${escaped}\\?offerToken=([A-Za-z0-9_%-]+)`).exec(offerMail!.raw);
    expect(found, offerMail!.raw).not.toBeNull();
    const token = decodeURIComponent(found![1]!);
    expect(token).toMatch(/^dco1_/);

    // The token from the email opens the offer, and accepts it.
    const look = await pub.post('/public/offers/lookup', { token });
    expect(look.status, look.text).toBe(200);
    expect(look.body).toEqual({ childFirstName: 'Juniper', centreName: 'Willow Tree', roomName: 'Saplings', startDate: START, expiresAt: offer.body.offer.expiresAt });
    const accept = await pub.post('/public/offers/respond', { token, decision: 'accept' });
    expect(accept.status, accept.text).toBe(200);
    expect(accept.body).toEqual({ status: 'enrolled' });

    // The child exists, enrolled in the offer's room; the guardian was invited and the invitee received the invitation.
    const after = (await owner.get(`/applications/${app.id}`)).body;
    expect(after).toMatchObject({ status: 'enrolled', studentId: expect.any(String), membershipId: expect.any(String) });
    const students = (await owner.get('/students?limit=200')).body.items.filter((s: any) => s.firstName === 'Juniper');
    expect(students).toHaveLength(1);
    expect(students[0]).toMatchObject({ id: after.studentId, lastName: 'Okafor', status: 'enrolled', roomId: room.id });
    const memberships = (await owner.get('/memberships')).body.items;
    const invited = memberships.filter((m: any) => m.id === after.membershipId);
    expect(invited).toHaveLength(1);
    expect(invited[0]).toMatchObject({ status: 'invited', roles: ['guardian'] });
    expect(JSON.stringify(invited[0]).toLowerCase()).toContain(lower);
    const [inviteMail, ...moreInvites] = await received(lower, (m) => m.raw.includes('?invitationId='));
    expect(moreInvites).toEqual([]);
    expect(inviteMail!.raw).toContain(`${APP_URL}?invitationId=${after.membershipId}`);

    // The same token again: used → 404 for both routes, nothing changes.
    for (const decision of ['accept', 'decline']) {
      const again = await pub.post('/public/offers/respond', { token, decision });
      expect(again.status, decision).toBe(404);
      expect(again.body.error.code).toBe('NOT_FOUND');
    }
    expect((await pub.post('/public/offers/lookup', { token })).status).toBe(404);
    expect((await owner.get('/students?limit=200')).body.items.filter((s: any) => s.firstName === 'Juniper')).toHaveLength(1);

    // 3. The delivery log: each of the three emails sent once, to the masked address.
    await drain();
    const log = (await owner.get('/notification-deliveries')).body.items;
    const masked = `${lower[0]}***@example.test`;
    for (const type of ['application.received', 'offer.made', 'membership.invited']) {
      const rows = log.filter((d: any) => d.type === type);
      expect(rows, type).toHaveLength(1);
      expect(rows[0]).toMatchObject({ type, channel: 'email', status: 'sent', attempts: 1, lastError: null, recipient: masked, sentAt: expect.any(String) });
    }
    expect(JSON.stringify(log).toLowerCase()).not.toContain(lower);
    // Exactly these three emails reached the applicant.
    expect(smtp.to(lower)).toHaveLength(3);
  });
});
