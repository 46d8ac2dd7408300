import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { signWebhook, startStripeStandin, stripeEvent, type StripeStandin } from '../helpers/stripe-standin.js';
import { checkout, deliver, ledgerTypes, ok, owingFamily, recordingNotify, RETURN_URL } from './payments.helpers.js';

/**
 * The whole path over HTTP with PAYMENTS_PROVIDER=stripe, the official SDK pointed at the stand-in by STRIPE_API_URL
 * (as the acceptance suite runs it): the exact requests, the read-back, and webhooks signed as Stripe signs them.
 */
const WHSEC = 'whsec_payments_http_test';
let standin: StripeStandin;
let srv: TestServer;
const notes = recordingNotify();

beforeAll(async () => {
  standin = await startStripeStandin();
  srv = await startServer({
    env: { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_http_0123456789', STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_URL: standin.url },
    billing: { notify: notes.notify },
  });
});
afterAll(async () => {
  await srv?.close();
  await standin?.close();
});

const send = (event: object, ts?: number) => {
  const body = JSON.stringify(event);
  return deliver(srv.url, 'stripe', { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signWebhook(body, WHSEC, ts) } });
};
const sessionEvent = (type: string, sessionId: string, o: { id?: string } = {}) => {
  const { _intentMetadata: _x, ...s } = standin.sessions.get(sessionId)!;
  return stripeEvent(type, s, o);
};

async function started(amount = 1000) {
  const f = await owingFamily(srv, amount);
  standin.requests.length = 0;
  const c = ok(await checkout(f.guardian, f.account.id), 201);
  const create = standin.requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')!;
  const sessionId = [...standin.sessions.values()].find((s) => s.client_reference_id === c.paymentId)!.id as string;
  return { ...f, c, create, sessionId };
}

describe('online payments with the stripe provider (against the stand-in)', () => {
  it('checkout: one Checkout Session in payment mode, our payment id as client_reference_id, metadata and Idempotency-Key; redirectUrl is its url', async () => {
    const s = await started(1000);
    expect(s.create).toMatchObject({ idempotencyKey: s.c.paymentId, contentType: 'application/x-www-form-urlencoded' });
    expect(s.create.body).toMatchObject({
      mode: 'payment',
      client_reference_id: s.c.paymentId,
      metadata: { paymentId: s.c.paymentId },
      success_url: RETURN_URL,
      cancel_url: RETURN_URL,
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '1000' } }],
    });
    expect(JSON.stringify(s.create.body)).not.toMatch(/Kid|Pat /);
    expect(s.c.redirectUrl).toBe(standin.sessions.get(s.sessionId)!.url);
  });

  it('completed → read back from Stripe → succeeded once; redelivery 200 and no change; a later expiry never undoes it; the payment intent names the charge for refunds', async () => {
    const s = await started(1000);
    standin.pay(s.sessionId);
    const ev = sessionEvent('checkout.session.completed', s.sessionId);
    standin.requests.length = 0;
    expect(await send(ev)).toMatchObject({ status: 200, body: { received: true } });
    expect(standin.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/checkout/sessions/${s.sessionId}`]);
    expect(await send(ev)).toMatchObject({ status: 200 });
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('succeeded');
    expect(await ledgerTypes(s.owner, s.account.id)).toEqual(['invoice:1000', 'payment:-1000']);
    standin.expire(s.sessionId); // Stripe would never, but an out-of-order expiry must not undo a success either way.
    expect((await send(sessionEvent('checkout.session.expired', s.sessionId))).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('succeeded');
    expect(notes.calls.filter((x) => x.req.subject.id === s.c.paymentId).map((x) => x.req.type)).toEqual(['payment.succeeded']);
  });

  it('an event is a nudge: completed while Stripe says unpaid changes nothing; async_payment_failed + unpaid → failed', async () => {
    const s = await started(1000);
    standin.failPayment(s.sessionId);
    expect((await send(sessionEvent('checkout.session.completed', s.sessionId))).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('pending');
    expect((await send(sessionEvent('checkout.session.async_payment_failed', s.sessionId))).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('failed');
    expect(await ledgerTypes(s.owner, s.account.id)).toEqual(['invoice:1000']);
  });

  it('an event claiming success for a session Stripe still shows open changes nothing (the read-back decides)', async () => {
    const s = await started(1000);
    const forgedObject = { ...sessionEvent('checkout.session.completed', s.sessionId) };
    (forgedObject.data.object as Record<string, unknown>).payment_status = 'paid';
    expect((await send(forgedObject)).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('pending');
  });

  it('unknown session → 200 ignored; bad signature, 301 s old, missing header → 400 INVALID_SIGNATURE', async () => {
    const s = await started(1000);
    const unknown = stripeEvent('checkout.session.completed', { id: 'cs_test_nobody', object: 'checkout.session', client_reference_id: null, metadata: {} });
    standin.requests.length = 0;
    expect(await send(unknown)).toMatchObject({ status: 200, body: { received: true } });
    expect(standin.requests).toEqual([]);
    standin.pay(s.sessionId);
    const ev = sessionEvent('checkout.session.completed', s.sessionId);
    const body = JSON.stringify(ev);
    const wrong = await deliver(srv.url, 'stripe', { body, headers: { 'content-type': 'application/json', 'stripe-signature': signWebhook(body, 'whsec_wrong') } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('INVALID_SIGNATURE');
    const old = await send(ev, Math.floor(Date.now() / 1000) - 301);
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe('INVALID_SIGNATURE');
    expect((await deliver(srv.url, 'stripe', { body, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('pending');
    expect((await send(ev, Math.floor(Date.now() / 1000) - 290)).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('succeeded');
  });

  it('refunds through POST /v1/refunds with payment_intent (our reason not sent); pending → succeeded by charge.refunded; a dashboard refund recorded; a dispute reverses', async () => {
    const s = await started(1000);
    const { paymentIntent, charge } = standin.pay(s.sessionId);
    expect((await send(sessionEvent('checkout.session.completed', s.sessionId))).status).toBe(200);
    standin.requests.length = 0;
    const r1 = ok(await s.owner.post(`/billing/payments/${s.c.paymentId}/refunds`, { amount: 100, reason: 'Sick week' }), 201);
    expect(r1.status).toBe('succeeded');
    const call = standin.requests.find((r) => r.path === '/v1/refunds')!;
    expect(call.body).toEqual({ payment_intent: paymentIntent, amount: '100' });
    expect(call.idempotencyKey).toBe(r1.id);
    standin.refundStatus = 'pending';
    const r2 = ok(await s.owner.post(`/billing/payments/${s.c.paymentId}/refunds`, { amount: 200, reason: 'x' }), 201);
    standin.refundStatus = 'succeeded';
    expect(r2.status).toBe('pending');
    expect((await s.owner.post(`/billing/payments/${s.c.paymentId}/refunds`, { amount: 701, reason: 'x' })).status).toBe(422);
    const ch = standin.charges.get(charge)!;
    expect((await send(stripeEvent('charge.refunded', { ...ch }))).status).toBe(200);
    expect(await ledgerTypes(s.owner, s.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:100', 'refund:200']);
    standin.refundInDashboard(charge, 50);
    expect((await send(stripeEvent('charge.refunded', { ...standin.charges.get(charge)! }))).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).refunded).toBe(350);
    const dispute = standin.dispute(charge, 650);
    expect((await send(stripeEvent('charge.dispute.created', dispute))).status).toBe(200);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('reversed');
    expect(await ledgerTypes(s.owner, s.account.id)).toEqual(['invoice:1000', 'payment:-1000', 'refund:100', 'refund:200', 'refund:50', 'payment_reversal:650']);
  });

  it('Stripe unreachable: checkout → 503 NOT_READY, no payment left pending; a webhook whose read-back fails → 503 (Stripe redelivers)', async () => {
    const s = await started(1000);
    standin.pay(s.sessionId);
    standin.failNext(10, 500);
    expect((await send(sessionEvent('checkout.session.completed', s.sessionId))).status).toBe(503);
    expect(ok(await s.owner.get(`/billing/payments/${s.c.paymentId}`)).status).toBe('pending');
    const f = await owingFamily(srv, 1000);
    standin.failNext(10, 500);
    const r = await checkout(f.guardian, f.account.id);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('NOT_READY');
    expect(ok(await f.owner.get(`/billing/payments?accountId=${f.account.id}`)).items).toEqual([]);
  });
});
