import { describe, expect, it } from 'vitest';
import type { FakeCheckout } from '../../src/adapters/payments/provider.js';
import { mkRoom, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';
import { checkout, deliver, ledgerTypes, ok, owingFamily, recordingNotify, RETURN_URL } from './payments.helpers.js';

/** Online payments over HTTP with the fake provider (CONTRACT "Payments online"): checkout → /dev/checkout → webhook → ledger. */
describe('online payments (fake provider)', () => {
  const notes = recordingNotify();
  const srv = useServer({ billing: { notify: notes.notify } });
  const fake = () => srv.container.payments.fake as FakeCheckout;

  async function pay(paymentId: string, outcome: 'succeed' | 'fail', as: 'json' | 'form' = 'json') {
    const init = as === 'json' ? { body: JSON.stringify({ outcome }), headers: { 'content-type': 'application/json' } } : { body: new URLSearchParams({ outcome }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    return fetch(`${srv.url}/dev/checkout/${paymentId}`, { method: 'POST', redirect: 'manual', ...init });
  }

  it('the whole path: a payer checks out, pays on /dev/checkout (303 to returnUrl), the webhook posts the payment; balance 0, invoice paid, payers notified', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    expect(c.redirectUrl).toBe(`${srv.url}/dev/checkout/${c.paymentId}`);
    expect(Date.parse(c.expiresAt)).toBeGreaterThan(Date.now() + 55 * 60_000);
    const pending = ok(await f.owner.get(`/billing/payments/${c.paymentId}`));
    expect(pending).toMatchObject({ status: 'pending', method: 'online', amount: 1000, payerGuardianId: f.guardianId, accountId: f.account.id });
    const page = await fetch(c.redirectUrl);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('10.00 USD');
    expect(text).toContain(`<form method="post" action="/dev/checkout/${c.paymentId}">`);
    expect(text).not.toContain('<script');
    // Chromium enforces form-action on the 303 too: the returnUrl's origin must be allowed (tests/browser/dev-checkout.test.ts).
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://localhost:3000; frame-ancestors 'none'; base-uri 'none'");
    const res = await pay(c.paymentId, 'succeed', 'form');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(RETURN_URL);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`))).toMatchObject({ status: 'succeeded', amount: 1000 });
    expect(ok(await f.owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(0);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000']);
    expect(ok(await f.owner.get(`/billing/invoices/${f.invoice.id}`)).status).toBe('paid');
    const n = notes.calls.filter((x) => x.req.subject.id === c.paymentId);
    expect(n.map((x) => x.req.type)).toEqual(['payment.succeeded']);
    expect(n[0]!.req.recipients.guardianIds).toEqual([f.guardianId]);
    expect(n[0]!.tenantId).toBe(f.tenant.id);
    // The payer's own view.
    expect(ok(await f.guardian.get(`/billing/payments/${c.paymentId}`)).status).toBe('succeeded');
  });

  it('Decline → failed, payers and billing admins notified, nothing posted; staff may start a checkout (payer null)', async () => {
    const f = await owingFamily(srv, 2500);
    const c = ok(await checkout(f.owner, f.account.id, { amount: 500 }), 201);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`))).toMatchObject({ payerGuardianId: null, amount: 500 });
    expect((await pay(c.paymentId, 'fail')).status).toBe(303);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('failed');
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:2500']);
    const n = notes.calls.filter((x) => x.req.subject.id === c.paymentId);
    expect(n.map((x) => x.req.type)).toEqual(['payment.failed']);
    expect(n[0]!.req.recipients).toEqual({ guardianIds: [f.guardianId], billingAdmins: true });
    // A failed payment cannot be paid afterwards: the event changes nothing (failed is final).
    expect((await pay(c.paymentId, 'succeed')).status).toBe(303);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('failed');
    expect(ok(await f.owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(2500);
  });

  it('checkout: 422 for amount < 1, over the balance, a foreign returnUrl; 400 bad body; 401; 403 teacher; 404 another centre’s or not-my account; Idempotency-Key → one payment', async () => {
    const f = await owingFamily(srv, 1000);
    for (const body of [{ amount: 0 }, { amount: -5 }, { amount: 1001 }, { returnUrl: 'https://evil.example/paid' }, { returnUrl: 'not a url' }]) {
      const r = await checkout(f.guardian, f.account.id, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.error.code).toBe('UNPROCESSABLE');
    }
    for (const body of [{ amount: 1.5 }, { amount: '100' }, { returnUrl: 5 }, { extra: true }]) {
      const r = await checkout(f.guardian, f.account.id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await f.guardian.post(`/billing/accounts/${f.account.id}/checkout`, {})).status).toBe(400);
    expect((await srv.agent().post(`/billing/accounts/${f.account.id}/checkout`, { returnUrl: RETURN_URL })).status).toBe(401);
    const teacher = (await addMember(srv, f.owner, ['teacher'])).agent;
    expect((await checkout(teacher, f.account.id)).status).toBe(403);
    const other = await newCentre(srv);
    expect((await checkout(other.owner, f.account.id)).status).toBe(404);
    const stranger = (await addMember(srv, f.owner, ['guardian'])).agent;
    expect((await checkout(stranger, f.account.id)).status).toBe(404);
    const key = { 'idempotency-key': `co-${Date.now()}` };
    const a = ok(await checkout(f.guardian, f.account.id, {}, key), 201);
    const b = await checkout(f.guardian, f.account.id, {}, key);
    expect(b.status).toBe(201);
    expect(b.body.paymentId).toBe(a.paymentId);
    expect(ok(await f.owner.get(`/billing/payments?accountId=${f.account.id}`)).items.map((p: any) => p.id)).toEqual([a.paymentId]);
  });

  it('the provider unreachable → 503 NOT_READY and no payment left pending', async () => {
    const f = await owingFamily(srv, 1000);
    fake().outage = true;
    try {
      const r = await checkout(f.guardian, f.account.id);
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('NOT_READY');
    } finally {
      fake().outage = false;
    }
    expect(ok(await f.owner.get(`/billing/payments?accountId=${f.account.id}`)).items).toEqual([]);
  });

  it('webhooks: redelivery → 200 and no change; forged, stale (301 s) or unsigned → 400 INVALID_SIGNATURE; unknown payment and unused types → 200 ignored; an expiry after a success changes nothing; another provider → 404', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    const done = await fake().complete(c.paymentId, 'succeed');
    expect(await deliver(srv.url, 'fake', done)).toEqual({ status: 200, body: { received: true }, text: '{"received":true}' });
    expect((await deliver(srv.url, 'fake', done)).status).toBe(200);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000']);
    // Out of order: an expiry (a new event id) arrives after the success.
    const late = await fake().event('checkout.session.expired', c.paymentId);
    expect((await deliver(srv.url, 'fake', late)).status).toBe(200);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('succeeded');
    // Forged: the body changed by one byte after signing.
    const forged = { ...done, body: done.body.replace('"livemode": false', '"livemode": true ') };
    const r1 = await deliver(srv.url, 'fake', forged);
    expect(r1.status).toBe(400);
    expect(r1.body.error.code).toBe('INVALID_SIGNATURE');
    const stale = await fake().event('checkout.session.completed', c.paymentId, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect((await deliver(srv.url, 'fake', stale)).body.error.code).toBe('INVALID_SIGNATURE');
    const unsigned = { body: done.body, headers: { 'content-type': 'application/json' } };
    expect((await deliver(srv.url, 'fake', unsigned)).status).toBe(400);
    expect((await deliver(srv.url, 'stripe', done)).status).toBe(404);
    // An event about a session we do not have, and a type we do not use.
    const stranger = await fake().sign({ id: 'evt_unknown_1', object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cs_fake_nobody', object: 'checkout.session', client_reference_id: null, metadata: {} } } });
    expect(await deliver(srv.url, 'fake', stranger)).toMatchObject({ status: 200, body: { received: true } });
    const other = await fake().event('customer.created', c.paymentId);
    expect((await deliver(srv.url, 'fake', other)).status).toBe(200);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000']);
    // No session, no CSRF: a signed-in member without the CSRF header gets the signature's answer, not CSRF_FAILED.
    const member = await f.owner.request('POST', '/webhooks/payments/fake', { raw: 'x', headers: { 'content-type': 'text/plain', 'x-csrf-token': '' } });
    expect(member.status).toBe(400);
    expect(member.body.error.code).toBe('INVALID_SIGNATURE');
    const viaSession = await f.owner.request('POST', '/webhooks/payments/fake', { raw: done.body, headers: { 'content-type': 'application/json', 'x-csrf-token': '' } });
    expect(viaSession.body.error.code).toBe('INVALID_SIGNATURE');
    // The raw body is capped.
    const big = await fetch(`${srv.url}/webhooks/payments/fake`, { method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
  });

  it('an expired session: pending → expired; the page’s Pay then changes nothing', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    expect((await deliver(srv.url, 'fake', await fake().expire(c.paymentId))).status).toBe(200);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('expired');
    expect((await pay(c.paymentId, 'succeed')).status).toBe(303);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('expired');
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000']);
  });

  it('refunds: 409 not succeeded, 422 too much (pending refunds count); succeeded at once; pending settled by charge.refunded; a refund made elsewhere recorded; provider down → failed and visible', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    const r409 = await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 100, reason: 'x' });
    expect(r409.status).toBe(409);
    expect((await pay(c.paymentId, 'succeed')).status).toBe(303);
    expect((await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 1001, reason: 'x' })).status).toBe(422);
    expect((await f.guardian.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 1, reason: 'x' })).status).toBe(403);
    const r1 = ok(await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 100, reason: 'Sick week' }), 201);
    expect(r1).toMatchObject({ paymentId: c.paymentId, amount: 100, status: 'succeeded' });
    fake().refundOutcome = 'pending';
    const r2 = ok(await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 200, reason: 'Closed day' }), 201);
    fake().refundOutcome = 'succeeded';
    expect(r2.status).toBe('pending');
    // 1000 − 100 − 200 (pending counts) = 700 left.
    expect((await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 701, reason: 'x' })).status).toBe(422);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:100']);
    expect((await deliver(srv.url, 'fake', await fake().event('charge.refunded', c.paymentId))).status).toBe(200);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:100', 'refund:200']);
    // A refund made in the provider's dashboard: the difference is recorded.
    expect((await deliver(srv.url, 'fake', await fake().refundElsewhere(c.paymentId, 50))).status).toBe(200);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:100', 'refund:200', 'refund:50']);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).refunded).toBe(350);
    fake().outage = true;
    const r3 = await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 10, reason: 'x' });
    fake().outage = false;
    expect(r3.status).toBe(201);
    expect(r3.body.status).toBe('failed');
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).refunded).toBe(350);
    // Retried: a new refund succeeds.
    expect(ok(await f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount: 10, reason: 'x' }), 201).status).toBe('succeeded');
    expect(ok(await f.owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(360);
  });

  it('two refunds at once can never exceed what was paid (the payment row is locked): one 201, one 422', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    expect((await pay(c.paymentId, 'succeed')).status).toBe(303);
    const both = await Promise.all([600, 600].map((amount) => f.owner.post(`/billing/payments/${c.paymentId}/refunds`, { amount, reason: 'x' })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).refunded).toBe(600);
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:600']);
  });

  it('a dispute reverses a succeeded payment (payment_reversal of the disputed amount), once', async () => {
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    expect((await pay(c.paymentId, 'succeed')).status).toBe(303);
    const d = await fake().dispute(c.paymentId, 600);
    expect((await deliver(srv.url, 'fake', d)).status).toBe(200);
    expect((await deliver(srv.url, 'fake', d)).status).toBe(200);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('reversed');
    expect(await ledgerTypes(f.owner, f.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'payment_reversal:600']);
    expect(ok(await f.owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(600);
    // A success arriving after the reversal changes nothing.
    expect((await deliver(srv.url, 'fake', await fake().event('checkout.session.completed', c.paymentId))).status).toBe(200);
    expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe('reversed');
  });

  it('/dev/checkout: 404 for an unknown payment; bad outcome → 400; left out of /openapi.json', async () => {
    const { owner } = await newCentre(srv);
    await mkRoom(owner);
    expect((await fetch(`${srv.url}/dev/checkout/00000000-0000-7000-8000-000000000000`)).status).toBe(404);
    expect((await fetch(`${srv.url}/dev/checkout/nope`)).status).toBe(404);
    const f = await owingFamily(srv, 1000);
    const c = ok(await checkout(f.guardian, f.account.id), 201);
    const bad = await fetch(`${srv.url}/dev/checkout/${c.paymentId}`, { method: 'POST', body: JSON.stringify({ outcome: 'maybe' }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dev/'))).toEqual([]);
    expect(doc.paths['/billing/accounts/{id}/checkout']).toBeDefined();
  });
});
