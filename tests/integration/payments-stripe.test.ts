import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPayments } from '../../src/adapters/payments/index.js';
import { ProviderRejectedError, ProviderUnavailableError, type PaymentsProvider } from '../../src/adapters/payments/provider.js';
import { systemClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { signWebhook, startStripeStandin, stripeEvent, type StripeStandin } from '../helpers/stripe-standin.js';

/**
 * The `stripe` provider through the official SDK, pointed at a local stand-in by STRIPE_API_URL (as the acceptance
 * suite does): the exact requests it sends, how it reads Stripe's answers, and what it does when Stripe fails.
 */
let standin: StripeStandin;
let payments: PaymentsProvider;
const SECRET_KEY = 'sk_test_standin_0123456789';

const stripeProvider = (url: string, o: { timeoutMs?: number; maxNetworkRetries?: number; key?: string } = {}) =>
  openPayments(
    loadConfig({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: o.key ?? SECRET_KEY, STRIPE_WEBHOOK_SECRET: 'whsec_standin', STRIPE_API_URL: url }),
    { clock: systemClock, sessionSecret: 'x'.repeat(32), stripe: { timeoutMs: o.timeoutMs ?? 400, maxNetworkRetries: o.maxNetworkRetries ?? 1 } },
  );

const expiresAt = () => new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);
let n = 0;
const paymentId = () => `3f0c5a8e-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const checkout = (id = paymentId(), over: Record<string, unknown> = {}) => ({
  paymentId: id,
  amount: 12345,
  currency: 'EUR',
  description: 'Sunflower Daycare: account Smith',
  returnUrl: 'https://app.example.com/billing/return?account=a1',
  expiresAt: expiresAt(),
  ...over,
});

beforeAll(async () => {
  standin = await startStripeStandin();
  payments = stripeProvider(standin.url);
});
afterAll(() => standin.close());
beforeEach(() => {
  standin.requests.length = 0;
  standin.refundStatus = 'succeeded';
});

describe('stripe provider: checkout', () => {
  it('creates a Checkout Session in payment mode: exactly these fields, our payment id as Idempotency-Key', async () => {
    const req = checkout(paymentId(), { customerEmail: 'parent@example.com' });
    const session = await payments.createCheckout(req);

    expect(standin.requests).toHaveLength(1);
    const [r] = standin.requests;
    expect(r).toMatchObject({
      method: 'POST',
      path: '/v1/checkout/sessions',
      idempotencyKey: req.paymentId,
      stripeVersion: Stripe.API_VERSION,
      authorization: `Bearer ${SECRET_KEY}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r!.body).toEqual({
      mode: 'payment',
      client_reference_id: req.paymentId,
      metadata: { paymentId: req.paymentId },
      payment_intent_data: { metadata: { paymentId: req.paymentId } },
      line_items: [{ quantity: '1', price_data: { currency: 'eur', unit_amount: '12345', product_data: { name: req.description } } }],
      success_url: req.returnUrl,
      cancel_url: req.returnUrl,
      expires_at: String(req.expiresAt.getTime() / 1000),
      customer_email: 'parent@example.com',
    });
    const stored = standin.sessions.get(session.sessionId)!;
    expect(session).toEqual({ sessionId: stored.id, redirectUrl: stored.url, expiresAt: req.expiresAt });
    expect(session.sessionId).toMatch(/^cs_test_/);
  });

  it('sends no customer_email when there is none', async () => {
    await payments.createCheckout(checkout());
    expect(standin.requests[0]!.body).not.toHaveProperty('customer_email');
  });

  it('a create retried for the same payment is one session (Stripe replays the first answer for the key)', async () => {
    const req = checkout();
    const before = standin.sessions.size;
    const a = await payments.createCheckout(req);
    const b = await payments.createCheckout(req);
    expect(b).toEqual(a);
    expect(standin.sessions.size).toBe(before + 1);
    expect(standin.requests.map((r) => r.idempotencyKey)).toEqual([req.paymentId, req.paymentId]);
  });

  it('an amount Stripe refuses is a 422 carrying Stripe code, not a 503', async () => {
    const err = await payments.createCheckout(checkout(paymentId(), { amount: 10 })).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRejectedError);
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', status: 422, providerCode: 'amount_too_small' });
    expect(standin.requests).toHaveLength(1); // a 400 is not retried
  });
});

describe('stripe provider: reading back', () => {
  it('a session: open, then paid with its PaymentIntent; our payment id from client_reference_id', async () => {
    const req = checkout();
    const { sessionId } = await payments.createCheckout(req);
    standin.requests.length = 0;
    expect(await payments.retrieveSession(sessionId)).toEqual({ sessionId, status: 'open', paymentId: req.paymentId, amount: 12345, currency: 'eur', paymentIntent: null });
    expect(standin.requests[0]).toMatchObject({ method: 'GET', path: `/v1/checkout/sessions/${sessionId}`, rawBody: '', stripeVersion: Stripe.API_VERSION });
    const { paymentIntent } = standin.pay(sessionId);
    expect(await payments.retrieveSession(sessionId)).toMatchObject({ status: 'paid', paymentIntent, paymentId: req.paymentId });
  });

  it('our payment id from metadata when client_reference_id is absent', async () => {
    const req = checkout();
    const { sessionId } = await payments.createCheckout(req);
    standin.sessions.get(sessionId)!.client_reference_id = null;
    expect((await payments.retrieveSession(sessionId))!.paymentId).toBe(req.paymentId);
    standin.sessions.get(sessionId)!.metadata = {};
    expect((await payments.retrieveSession(sessionId))!.paymentId).toBeNull();
  });

  it('completed but unpaid (an asynchronous method failing) is unpaid; abandoned is expired; unknown is null', async () => {
    const a = await payments.createCheckout(checkout());
    standin.failPayment(a.sessionId);
    expect((await payments.retrieveSession(a.sessionId))!.status).toBe('unpaid');
    const b = await payments.createCheckout(checkout());
    standin.expire(b.sessionId);
    expect((await payments.retrieveSession(b.sessionId))!.status).toBe('expired');
    expect(await payments.retrieveSession('cs_test_unknown')).toBeNull();
  });

  it('a charge: amount, what is refunded wherever it was, a dispute, our payment id from its metadata', async () => {
    const req = checkout();
    const { sessionId } = await payments.createCheckout(req);
    const { charge, paymentIntent } = standin.pay(sessionId);
    standin.requests.length = 0;
    expect(await payments.retrieveCharge(charge)).toEqual({
      chargeId: charge,
      paymentId: req.paymentId,
      paymentIntent,
      status: 'succeeded',
      amount: 12345,
      amountRefunded: 0,
      currency: 'eur',
      disputed: false,
    });
    expect(standin.requests[0]).toMatchObject({ method: 'GET', path: `/v1/charges/${charge}` });
    standin.refundInDashboard(charge, 345);
    standin.dispute(charge);
    expect(await payments.retrieveCharge(charge)).toMatchObject({ amountRefunded: 345, disputed: true });
    expect(await payments.retrieveCharge('ch_unknown')).toBeNull();
  });
});

describe('stripe provider: refunds', () => {
  async function paid() {
    const { sessionId } = await payments.createCheckout(checkout());
    const ids = standin.pay(sessionId);
    standin.requests.length = 0;
    return ids;
  }

  it('POST /v1/refunds with payment_intent and amount only (our reason is not Stripe reason), our key as Idempotency-Key', async () => {
    const { paymentIntent } = await paid();
    const result = await payments.refund({ paymentIntent, amount: 500, idempotencyKey: 'refund-7c1e' });
    expect(standin.requests).toHaveLength(1);
    expect(standin.requests[0]).toMatchObject({ method: 'POST', path: '/v1/refunds', idempotencyKey: 'refund-7c1e', stripeVersion: Stripe.API_VERSION });
    expect(standin.requests[0]!.body).toEqual({ payment_intent: paymentIntent, amount: '500' });
    expect(result).toEqual({ refundId: expect.stringMatching(/^re_/), status: 'succeeded', amount: 500 });
  });

  it('retried with the same key: one refund at Stripe', async () => {
    const { paymentIntent, charge } = await paid();
    const a = await payments.refund({ paymentIntent, amount: 700, idempotencyKey: 'refund-same' });
    const b = await payments.refund({ paymentIntent, amount: 700, idempotencyKey: 'refund-same' });
    expect(b).toEqual(a);
    expect(standin.charges.get(charge)!.amount_refunded).toBe(700);
  });

  it('pending and failed answers are passed on', async () => {
    const { paymentIntent } = await paid();
    standin.refundStatus = 'pending';
    expect((await payments.refund({ paymentIntent, amount: 1, idempotencyKey: 'r-pending' })).status).toBe('pending');
    standin.refundStatus = 'failed';
    expect((await payments.refund({ paymentIntent, amount: 1, idempotencyKey: 'r-failed' })).status).toBe('failed');
  });

  it('more than is left is refused by Stripe: 422 with its code', async () => {
    const { paymentIntent } = await paid();
    const err = await payments.refund({ paymentIntent, amount: 12346, idempotencyKey: 'r-too-much' }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRejectedError);
    expect(err).toMatchObject({ status: 422, providerCode: 'amount_too_large' });
  });
});

describe('stripe provider: Stripe failing', () => {
  it('a 500 is retried once with the same Idempotency-Key; a 500 again is ProviderUnavailable (503 NOT_READY)', async () => {
    const req = checkout();
    standin.failNext(2, 500);
    const err = await payments.createCheckout(req).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err).toMatchObject({ code: 'NOT_READY', status: 503 });
    expect(standin.requests.map((r) => [r.path, r.idempotencyKey])).toEqual([
      ['/v1/checkout/sessions', req.paymentId],
      ['/v1/checkout/sessions', req.paymentId],
    ]);
  });

  it('one 500 then success: the retry creates the session', async () => {
    standin.failNext(1, 503);
    const req = checkout();
    const s = await payments.createCheckout(req);
    expect(standin.sessions.get(s.sessionId)!.client_reference_id).toBe(req.paymentId);
    expect(standin.requests).toHaveLength(2);
  });

  it('a hanging Stripe: timed out per attempt, bounded retries, then ProviderUnavailable', async () => {
    standin.hangNext(2);
    const t0 = Date.now();
    const err = await payments.retrieveSession('cs_test_whatever').catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(standin.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('refunds and charges fail the same way', async () => {
    standin.failNext(2, 502);
    await expect(payments.refund({ paymentIntent: 'pi_x', amount: 1, idempotencyKey: 'k' })).rejects.toBeInstanceOf(ProviderUnavailableError);
    standin.failNext(2, 500);
    await expect(payments.retrieveCharge('ch_x')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('rate limited (429) and our key refused (401) are ProviderUnavailable too', async () => {
    standin.failNext(1, 429);
    await expect(stripeProvider(standin.url, { maxNetworkRetries: 0 }).retrieveSession('cs_x')).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(stripeProvider(standin.url, { key: 'rk_wrong' }).retrieveSession('cs_x')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('nothing listening at STRIPE_API_URL: ProviderUnavailable', async () => {
    const closed = await startStripeStandin();
    const url = closed.url;
    await closed.close();
    await expect(stripeProvider(url, { maxNetworkRetries: 0 }).createCheckout(checkout())).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});

describe('stripe provider: the path the webhook route takes (the event is a nudge, the read-back the truth)', () => {
  const deliver = async (type: string, object: object) => {
    const body = JSON.stringify(stripeEvent(type, object));
    return payments.verifyWebhook(new TextEncoder().encode(body), new Headers({ 'Stripe-Signature': signWebhook(body, 'whsec_standin') }));
  };

  it('checkout.session.completed → the session read back: paid, with our payment id and the PaymentIntent', async () => {
    const req = checkout();
    const { sessionId } = await payments.createCheckout(req);
    const { paymentIntent } = standin.pay(sessionId);
    const event = await deliver('checkout.session.completed', standin.sessions.get(sessionId)!);
    expect(event.subject).toEqual({ kind: 'session', sessionId, paymentId: req.paymentId });
    standin.requests.length = 0;
    expect(await payments.retrieveSession(sessionId)).toMatchObject({ status: 'paid', paymentId: req.paymentId, paymentIntent, amount: 12345 });
    expect(standin.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/checkout/sessions/${sessionId}`]);
  });

  it('a forged "paid" event about an unpaid session: the signature holds only with the secret, and the read-back says open', async () => {
    const { sessionId } = await payments.createCheckout(checkout());
    const forged = { ...standin.sessions.get(sessionId)!, payment_status: 'paid', status: 'complete' };
    const body = JSON.stringify(stripeEvent('checkout.session.completed', forged));
    await expect(payments.verifyWebhook(body, { 'stripe-signature': signWebhook(body, 'whsec_guessed') })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE', status: 400 });
    expect((await payments.retrieveSession(sessionId))!.status).toBe('open');
  });

  it('charge.refunded (a refund in the dashboard) and charge.dispute.created → the charge read back', async () => {
    const req = checkout();
    const { sessionId } = await payments.createCheckout(req);
    const { charge } = standin.pay(sessionId);
    standin.refundInDashboard(charge, 2345);
    const refunded = await deliver('charge.refunded', standin.charges.get(charge)!);
    expect(refunded.subject).toEqual({ kind: 'charge', chargeId: charge });
    expect(await payments.retrieveCharge(charge)).toMatchObject({ paymentId: req.paymentId, amountRefunded: 2345, amount: 12345 });
    const dispute = standin.dispute(charge, 10000);
    const disputed = await deliver('charge.dispute.created', dispute);
    expect(disputed.subject).toEqual({ kind: 'dispute', disputeId: dispute.id, chargeId: charge, amount: 10000 });
    expect(await payments.retrieveCharge(charge)).toMatchObject({ disputed: true });
  });
});
