import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { FakePaymentsProvider } from '../../src/adapters/payments/fake-provider.js';
import { openPayments } from '../../src/adapters/payments/index.js';
import type { PaymentsProvider } from '../../src/adapters/payments/provider.js';
import { signStripePayload } from '../../src/adapters/payments/stripe-signature.js';
import { ManualClock } from '../../src/core/clock.js';
import { AppError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/config.js';
import { signWebhook, stripeEvent } from '../helpers/stripe-standin.js';

/**
 * verifyWebhook: the signature over the raw bytes before anything is parsed, Stripe's scheme and 300 s tolerance.
 * Signatures are made by the test helper (its own HMAC, not the code under test); every verdict is also checked against
 * the official SDK's `constructEvent`, so what is accepted here is what Stripe's library accepts.
 */
const SECRET = 'whsec_test_0123456789abcdefghijklmnopqrstuv';
const clock = new ManualClock(Date.parse('2026-12-07T12:00:00Z'));
const nowS = () => Math.floor(clock.now().getTime() / 1000);

const providers: Array<[string, () => PaymentsProvider]> = [
  [
    'stripe',
    () =>
      openPayments(loadConfig({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_URL: 'http://127.0.0.1:1' }), {
        clock,
        sessionSecret: 'x'.repeat(32),
      }),
  ],
  ['fake', () => new FakePaymentsProvider({ webhookSecret: SECRET, clock, publicUrl: 'http://localhost:3000' })],
];

const payload = JSON.stringify(
  stripeEvent('checkout.session.completed', { id: 'cs_test_1', object: 'checkout.session', client_reference_id: 'pay-1', metadata: { paymentId: 'pay-1' }, payment_status: 'paid' }, { id: 'evt_1' }),
  null,
  2,
);

/** What the official SDK says about the same bytes, header and secret at the same instant. */
function sdkAccepts(body: string | Uint8Array, header: string | undefined, secret = SECRET) {
  try {
    Stripe.webhooks.constructEvent(body, header as string, secret, 300, undefined, clock.now().getTime());
    return true;
  } catch {
    return false;
  }
}

async function verdict(p: PaymentsProvider, body: string | Uint8Array, headers: Headers | Record<string, string | undefined>) {
  try {
    return { ok: true as const, event: await p.verifyWebhook(body, headers) };
  } catch (err) {
    return { ok: false as const, err: err as AppError };
  }
}

describe.each(providers)('verifyWebhook (%s)', (_name, make) => {
  const p = make();

  it('valid: accepted and parsed (string or raw bytes, a Headers object or a plain record)', async () => {
    const header = signWebhook(payload, SECRET, nowS());
    const viaRecord = await verdict(p, payload, { 'Stripe-Signature': header });
    expect(viaRecord.ok).toBe(true);
    expect(viaRecord.ok && viaRecord.event).toEqual({
      id: 'evt_1',
      type: 'checkout.session.completed',
      created: expect.any(Number),
      object: expect.objectContaining({ id: 'cs_test_1', client_reference_id: 'pay-1' }),
      subject: { kind: 'session', sessionId: 'cs_test_1', paymentId: 'pay-1' },
    });
    const viaBytes = await verdict(p, new TextEncoder().encode(payload), new Headers({ 'stripe-signature': header }));
    expect(viaBytes.ok).toBe(true);
    expect(sdkAccepts(payload, header)).toBe(true);
  });

  it("the SDK's own test header (generateTestHeaderString) is accepted", async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: nowS() });
    expect((await verdict(p, payload, { 'stripe-signature': header })).ok).toBe(true);
  });

  const refused = async (body: string | Uint8Array, header: string | undefined, secret = SECRET) => {
    const v = await verdict(p, body, header === undefined ? {} : { 'stripe-signature': header });
    expect(v.ok).toBe(false);
    expect(v.ok || v.err).toBeInstanceOf(AppError);
    expect(v.ok || { code: v.err.code, status: v.err.status }).toEqual({ code: 'INVALID_SIGNATURE', status: 400 });
    expect(sdkAccepts(body, header, secret)).toBe(false);
  };

  it('wrong secret: 400 INVALID_SIGNATURE', () => refused(payload, signWebhook(payload, 'whsec_someone_else', nowS())));

  it('tampered body (one byte changed): 400 INVALID_SIGNATURE', async () => {
    const header = signWebhook(payload, SECRET, nowS());
    const bytes = new TextEncoder().encode(payload);
    const i = payload.indexOf('pay-1') + 4;
    bytes[i] = '2'.charCodeAt(0); // pay-1 → pay-2 in client_reference_id
    await refused(bytes, header);
    await refused(`${payload} `, header); // one byte more
  });

  it('timestamp 301 s old: 400 INVALID_SIGNATURE; 300 s old still accepted', async () => {
    await refused(payload, signWebhook(payload, SECRET, nowS() - 301));
    const at300 = signWebhook(payload, SECRET, nowS() - 300);
    expect((await verdict(p, payload, { 'stripe-signature': at300 })).ok).toBe(true);
    expect(sdkAccepts(payload, at300)).toBe(true);
  });

  it('missing or empty header, no v1, no timestamp, an empty body: 400 INVALID_SIGNATURE', async () => {
    await refused(payload, undefined);
    await refused(payload, '');
    const sig = signWebhook(payload, SECRET, nowS());
    await refused(payload, sig.replace(/^t=\d+,/, '')); // no timestamp
    await refused(payload, sig.replace(',v1=', ',v0=')); // another scheme only
    await refused('', sig);
  });

  it('several v1 signatures (a secret being rolled): accepted when one of them matches, refused when none does', async () => {
    const t = nowS();
    const good = signWebhook(payload, SECRET, t).split(',v1=')[1]!;
    const other = signWebhook(payload, 'whsec_old_secret', t).split(',v1=')[1]!;
    const both = `t=${t},v1=${other},v1=${good}`;
    expect((await verdict(p, payload, { 'stripe-signature': both })).ok).toBe(true);
    expect(sdkAccepts(payload, both)).toBe(true);
    const withV0 = `t=${t},v1=${good},v0=${other}`;
    expect((await verdict(p, payload, { 'stripe-signature': withV0 })).ok).toBe(true);
    await refused(payload, `t=${t},v1=${other},v1=${'0'.repeat(64)}`);
  });

  it('extra whitespace: around the whole value as HTTP trims it (accepted); inside, refused as the SDK refuses it', async () => {
    const t = nowS();
    const sig = signWebhook(payload, SECRET, t);
    // Over HTTP a header value's outer whitespace never reaches the handler (fetch's Headers trims it too).
    expect((await verdict(p, payload, { 'stripe-signature': `  ${sig}\t` })).ok).toBe(true);
    expect(new Headers({ 'stripe-signature': `  ${sig}\t` }).get('stripe-signature')).toBe(sig);
    // Inside, Stripe's library splits on ',' and '=' without trimming: ` v1` is not `v1`, nor ` t` a timestamp.
    await refused(payload, sig.replace(',', ', '));
    await refused(payload, sig.replace('v1=', 'v1 = '));
  });

  it('a signed body that is not an event is a bad request, not a forgery', async () => {
    const v1 = await verdict(p, 'not json', { 'stripe-signature': signWebhook('not json', SECRET, nowS()) });
    expect(v1.ok || v1.err.code).toBe('VALIDATION_ERROR');
    const v2 = await verdict(p, '{"hello":1}', { 'stripe-signature': signWebhook('{"hello":1}', SECRET, nowS()) });
    expect(v2.ok || v2.err.code).toBe('VALIDATION_ERROR');
  });

  it('what an event is about: sessions, charges and disputes', async () => {
    const ev = async (type: string, object: object) => {
      const body = JSON.stringify(stripeEvent(type, object));
      const v = await verdict(p, body, { 'stripe-signature': signWebhook(body, SECRET, nowS()) });
      if (!v.ok) throw v.err;
      return v.event.subject;
    };
    expect(await ev('checkout.session.expired', { id: 'cs_2', metadata: { paymentId: 'pay-2' }, client_reference_id: null })).toEqual({ kind: 'session', sessionId: 'cs_2', paymentId: 'pay-2' });
    expect(await ev('charge.refunded', { id: 'ch_1', object: 'charge' })).toEqual({ kind: 'charge', chargeId: 'ch_1' });
    expect(await ev('charge.dispute.created', { id: 'dp_1', object: 'dispute', charge: 'ch_1', amount: 700 })).toEqual({ kind: 'dispute', disputeId: 'dp_1', chargeId: 'ch_1', amount: 700 });
    expect(await ev('customer.created', { id: 'cus_1' })).toEqual({ kind: 'other' });
  });
});

describe('the fake signs exactly as Stripe does', () => {
  it('its header is the one the SDK computes for the same payload, secret and time', () => {
    const t = nowS();
    expect(signStripePayload(payload, SECRET, t)).toBe(Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: t }));
    expect(signStripePayload(payload, SECRET, t)).toBe(signWebhook(payload, SECRET, t));
  });

  it("its events pass the official SDK's constructEvent", async () => {
    const fake = new FakePaymentsProvider({ webhookSecret: SECRET, clock, publicUrl: 'http://localhost:3000' });
    await fake.createCheckout({ paymentId: 'pay-9', amount: 5000, currency: 'usd', description: 'd', returnUrl: 'http://localhost:5173/r', expiresAt: new Date(clock.now().getTime() + 3600_000) });
    const delivery = await fake.complete('pay-9', 'succeed');
    const event = Stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature']!, SECRET, 300, undefined, clock.now().getTime());
    expect(event).toMatchObject({ type: 'checkout.session.completed', data: { object: { id: 'cs_fake_pay-9', client_reference_id: 'pay-9', payment_status: 'paid' } } });
  });

  it('a stripe provider with another secret refuses the fake events', async () => {
    const fake = new FakePaymentsProvider({ webhookSecret: 'whsec_fake_local', clock, publicUrl: 'http://localhost:3000' });
    await fake.createCheckout({ paymentId: 'pay-10', amount: 5000, currency: 'usd', description: 'd', returnUrl: 'http://x/r', expiresAt: new Date(clock.now().getTime() + 3600_000) });
    const d = await fake.expire('pay-10');
    const stripe = providers[0]![1]();
    await expect(stripe.verifyWebhook(d.body, d.headers)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    await expect(fake.verifyWebhook(d.body, d.headers)).resolves.toMatchObject({ type: 'checkout.session.expired' });
  });
});
