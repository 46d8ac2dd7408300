import { describe, expect, it } from 'vitest';
import { FakePaymentsProvider } from '../../src/adapters/payments/fake-provider.js';
import { fakeWebhookSecret, openPayments } from '../../src/adapters/payments/index.js';
import { ProviderRejectedError, ProviderUnavailableError } from '../../src/adapters/payments/provider.js';
import { ManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';

/** The fake provider: what the /dev/checkout page and the tests of the payment routes will drive. */
const clock = new ManualClock(Date.parse('2026-12-07T12:00:00Z'));
const make = (publicUrl?: string) => new FakePaymentsProvider({ webhookSecret: 'whsec_fake_test', clock, publicUrl });
const req = (paymentId: string, over: Record<string, unknown> = {}) => ({
  paymentId,
  amount: 25000,
  currency: 'USD',
  description: 'Account Smith',
  returnUrl: 'http://localhost:5173/billing/done',
  expiresAt: new Date(clock.now().getTime() + 3600_000),
  ...over,
});

describe('fake payments provider', () => {
  it('redirects to the API own /dev/checkout page: PUBLIC_URL, else the request origin', async () => {
    expect((await make('https://api.example.test').createCheckout(req('p1', { origin: 'http://ignored:1' }))).redirectUrl).toBe('https://api.example.test/dev/checkout/p1');
    const s = await make().createCheckout(req('p2', { origin: 'http://127.0.0.1:4567' }));
    expect(s).toEqual({ sessionId: 'cs_fake_p2', redirectUrl: 'http://127.0.0.1:4567/dev/checkout/p2', expiresAt: new Date(clock.now().getTime() + 3600_000) });
    await expect(make().createCheckout(req('p3'))).rejects.toThrow(/PUBLIC_URL/);
  });

  it('one session per payment, as Stripe with our payment id as the key', async () => {
    const f = make('http://api');
    const a = await f.createCheckout(req('p1'));
    const b = await f.createCheckout(req('p1', { amount: 1 }));
    expect(b).toEqual(a);
    expect((await f.retrieveSession(a.sessionId))!.amount).toBe(25000);
  });

  it('Pay: completed and paid, a PaymentIntent and a charge; a signed checkout.session.completed it verifies itself', async () => {
    const f = make('http://api');
    const { sessionId } = await f.createCheckout(req('p1'));
    expect(await f.retrieveSession(sessionId)).toEqual({ sessionId, status: 'open', paymentId: 'p1', amount: 25000, currency: 'usd', paymentIntent: null });
    const d = await f.complete('p1', 'succeed');
    const event = await f.verifyWebhook(d.body, d.headers);
    expect(event).toMatchObject({ type: 'checkout.session.completed', subject: { kind: 'session', sessionId, paymentId: 'p1' } });
    expect(event.object).toMatchObject({ object: 'checkout.session', status: 'complete', payment_status: 'paid', payment_intent: 'pi_fake_p1', amount_total: 25000 });
    expect(await f.retrieveSession(sessionId)).toMatchObject({ status: 'paid', paymentIntent: 'pi_fake_p1' });
    expect(await f.retrieveCharge('ch_fake_p1')).toEqual({ chargeId: 'ch_fake_p1', paymentId: 'p1', paymentIntent: 'pi_fake_p1', status: 'succeeded', amount: 25000, amountRefunded: 0, currency: 'usd', disputed: false });
  });

  it('Decline: completed unpaid, checkout.session.async_payment_failed; a completed session does not expire', async () => {
    const f = make('http://api');
    const { sessionId } = await f.createCheckout(req('p1'));
    const d = await f.complete('p1', 'fail');
    expect((await f.verifyWebhook(d.body, d.headers)).type).toBe('checkout.session.async_payment_failed');
    expect((await f.retrieveSession(sessionId))!.status).toBe('unpaid');
    const late = await f.expire('p1');
    // The event arrives, but the read-back is the truth: nothing to act on.
    expect((await f.verifyWebhook(late.body, late.headers)).type).toBe('checkout.session.expired');
    expect((await f.retrieveSession(sessionId))!.status).toBe('unpaid');
  });

  it('expiry; and Pay after expiry does not pay', async () => {
    const f = make('http://api');
    const { sessionId } = await f.createCheckout(req('p1'));
    await f.expire('p1');
    expect((await f.retrieveSession(sessionId))!.status).toBe('expired');
    await f.complete('p1', 'succeed');
    expect((await f.retrieveSession(sessionId))!.status).toBe('expired');
    expect(await f.retrieveCharge('ch_fake_p1')).toBeNull();
  });

  it('an open session past its expiresAt is expired, and Pay then delivers the expiry', async () => {
    const f = make('http://api');
    const { sessionId } = await f.createCheckout(req('p-exp'));
    clock.advance(3600_000);
    try {
      expect((await f.retrieveSession(sessionId))!.status).toBe('expired');
      const d = await f.complete('p-exp', 'succeed');
      expect((await f.verifyWebhook(d.body, d.headers)).type).toBe('checkout.session.expired');
      expect(await f.retrieveCharge('ch_fake_p-exp')).toBeNull();
    } finally {
      clock.advance(-3600_000);
    }
  });

  it('refunds: up to what is left, once per key; pending/failed on request; a refund elsewhere and a dispute', async () => {
    const f = make('http://api');
    await f.createCheckout(req('p1'));
    await f.complete('p1', 'succeed');
    const a = await f.refund({ paymentIntent: 'pi_fake_p1', amount: 10000, idempotencyKey: 'r1' });
    expect(a).toMatchObject({ status: 'succeeded', amount: 10000 });
    expect(await f.refund({ paymentIntent: 'pi_fake_p1', amount: 10000, idempotencyKey: 'r1' })).toEqual(a);
    await expect(f.refund({ paymentIntent: 'pi_fake_p1', amount: 15001, idempotencyKey: 'r2' })).rejects.toBeInstanceOf(ProviderRejectedError);
    f.refundOutcome = 'failed';
    expect((await f.refund({ paymentIntent: 'pi_fake_p1', amount: 1, idempotencyKey: 'r3' })).status).toBe('failed');
    f.refundOutcome = 'pending';
    expect((await f.refund({ paymentIntent: 'pi_fake_p1', amount: 1, idempotencyKey: 'r4' })).status).toBe('pending');
    expect((await f.retrieveCharge('ch_fake_p1'))!.amountRefunded).toBe(10001);

    const r = await f.refundElsewhere('p1', 999);
    expect(await f.verifyWebhook(r.body, r.headers)).toMatchObject({ type: 'charge.refunded', subject: { kind: 'charge', chargeId: 'ch_fake_p1' }, object: { amount_refunded: 11000 } });
    const dp = await f.dispute('p1', 7000);
    expect(await f.verifyWebhook(dp.body, dp.headers)).toMatchObject({ type: 'charge.dispute.created', subject: { kind: 'dispute', chargeId: 'ch_fake_p1', amount: 7000 } });
    expect((await f.retrieveCharge('ch_fake_p1'))!.disputed).toBe(true);
  });

  it('any event type, a chosen event id (redeliveries) and timestamp (stale events)', async () => {
    const f = make('http://api');
    await f.createCheckout(req('p1'));
    const a = await f.event('checkout.session.completed', 'p1', { eventId: 'evt_same' });
    const b = await f.event('checkout.session.completed', 'p1', { eventId: 'evt_same' });
    expect([(await f.verifyWebhook(a.body, a.headers)).id, (await f.verifyWebhook(b.body, b.headers)).id]).toEqual(['evt_same', 'evt_same']);
    const stale = await f.event('checkout.session.completed', 'p1', { timestamp: Math.floor(clock.now().getTime() / 1000) - 301 });
    await expect(f.verifyWebhook(stale.body, stale.headers)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const other = await f.event('customer.created', 'p1');
    expect((await f.verifyWebhook(other.body, other.headers)).subject).toEqual({ kind: 'other' });
  });

  it('after a restart (memory gone) the page re-creates the session from our payment row', async () => {
    const f = make('http://api');
    await expect(f.complete('p-old', 'succeed')).rejects.toBeInstanceOf(ProviderRejectedError);
    const d = await f.complete('p-old', 'succeed', { amount: 4200, currency: 'eur', returnUrl: 'http://localhost:5173/x' });
    expect((await f.verifyWebhook(d.body, d.headers)).object).toMatchObject({ amount_total: 4200, payment_status: 'paid' });
    expect(await f.session('p-old')).toMatchObject({ returnUrl: 'http://localhost:5173/x', status: 'complete' });
  });

  it('an outage: every provider call is ProviderUnavailable (503 NOT_READY)', async () => {
    const f = make('http://api');
    f.outage = true;
    for (const call of [() => f.createCheckout(req('p1')), () => f.retrieveSession('cs_fake_p1'), () => f.retrieveCharge('ch_fake_p1'), () => f.refund({ paymentIntent: 'pi', amount: 1, idempotencyKey: 'k' })]) {
      await expect(call()).rejects.toSatisfy((e: unknown) => e instanceof ProviderUnavailableError && (e as ProviderUnavailableError).status === 503);
    }
  });

  it('openPayments: the fake by default, signing with STRIPE_WEBHOOK_SECRET or a secret derived from the session secret', async () => {
    const derived = openPayments(loadConfig({}), { clock, sessionSecret: 's'.repeat(40) });
    expect(derived.name).toBe('fake');
    expect(derived.fake).toBeDefined();
    await derived.createCheckout(req('p1', { origin: 'http://localhost:3000' }));
    const d = await derived.fake!.complete('p1', 'succeed');
    await expect(make().verifyWebhook(d.body, d.headers)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const same = new FakePaymentsProvider({ webhookSecret: fakeWebhookSecret('s'.repeat(40)), clock });
    await expect(same.verifyWebhook(d.body, d.headers)).resolves.toMatchObject({ type: 'checkout.session.completed' });
    expect(fakeWebhookSecret('s'.repeat(40))).not.toContain('s'.repeat(8));

    const configured = openPayments(loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_fake_test' }), { clock, sessionSecret: 's'.repeat(40) });
    await configured.createCheckout(req('p2', { origin: 'http://localhost:3000' }));
    const e = await configured.fake!.complete('p2', 'fail');
    await expect(make().verifyWebhook(e.body, e.headers)).resolves.toMatchObject({ type: 'checkout.session.async_payment_failed' });
  });

  it('openPayments: stripe has no fake controls (the /dev routes answer 404 there)', () => {
    const p = openPayments(loadConfig({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' }), { clock, sessionSecret: 's'.repeat(40) });
    expect(p.name).toBe('stripe');
    expect(p.fake).toBeUndefined();
  });
});
