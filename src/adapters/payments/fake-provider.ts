import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  type ChargeView,
  type CheckoutRequest,
  type CheckoutSession,
  type FakeCheckout,
  type FakeSessionSeed,
  type PaymentsProvider,
  type RefundRequest,
  type RefundResult,
  type SessionView,
  type SignedDelivery,
} from './provider.js';
import { SIGNATURE_HEADER, signStripePayload, verifyStripeWebhook } from './stripe-signature.js';

interface FakeSession {
  id: string;
  paymentId: string;
  amount: number;
  currency: string;
  description: string;
  returnUrl: string;
  customerEmail: string | null;
  created: number;
  expiresAt: number;
  url: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid';
  paymentIntent: string | null;
}

interface FakeCharge {
  id: string;
  paymentId: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  amountRefunded: number;
  disputed: boolean;
}

/**
 * The provider for local runs and tests. Sessions, charges and refunds live in this process's memory (the fake is
 * refused in production and serves one local process; after a restart, `complete`/`expire` re-create a session from
 * what the caller passes in). Its events are Stripe-shaped and signed exactly as Stripe signs them, so the webhook
 * route verifies them with the same verifier as Stripe's. Ids are derived from our payment id (`cs_fake_<id>`,
 * `pi_fake_<id>`, `ch_fake_<id>`), so a create retried for the same payment is the same session, as at Stripe.
 */
export class FakePaymentsProvider implements PaymentsProvider, FakeCheckout {
  readonly name = 'fake' as const;
  readonly fake: FakeCheckout = this;
  /** Tests: every call fails as an unreachable provider would. */
  outage = false;
  /** Tests: what the next refunds answer. */
  refundOutcome: RefundResult['status'] = 'succeeded';
  private readonly sessions = new Map<string, FakeSession>();
  private readonly charges = new Map<string, FakeCharge>();
  private readonly refunds = new Map<string, RefundResult & { paymentIntent: string }>();

  constructor(private readonly opts: { webhookSecret: string; publicUrl?: string; clock: Clock }) {}

  async createCheckout(req: CheckoutRequest): Promise<CheckoutSession> {
    this.reachable();
    const base = this.opts.publicUrl ?? req.origin?.replace(/\/$/, '');
    if (!base) throw new Error('fake payments: neither PUBLIC_URL nor the request origin is known');
    const id = `cs_fake_${req.paymentId}`;
    const existing = this.sessions.get(id);
    if (!existing) {
      this.sessions.set(id, {
        id,
        paymentId: req.paymentId,
        amount: req.amount,
        currency: req.currency.toLowerCase(),
        description: req.description,
        returnUrl: req.returnUrl,
        customerEmail: req.customerEmail ?? null,
        created: this.nowSeconds(),
        expiresAt: Math.floor(req.expiresAt.getTime() / 1000),
        url: `${base}/dev/checkout/${encodeURIComponent(req.paymentId)}`,
        status: 'open',
        paymentStatus: 'unpaid',
        paymentIntent: null,
      });
    }
    const s = this.sessions.get(id)!;
    return { sessionId: s.id, redirectUrl: s.url, expiresAt: new Date(s.expiresAt * 1000) };
  }

  async retrieveSession(sessionId: string): Promise<SessionView | null> {
    this.reachable();
    const s = this.sessions.get(sessionId);
    if (!s) return null;
    this.expireIfDue(s);
    const status = s.status === 'expired' ? 'expired' : s.paymentStatus === 'paid' ? 'paid' : s.status === 'complete' ? 'unpaid' : 'open';
    return { sessionId: s.id, status, paymentId: s.paymentId, amount: s.amount, currency: s.currency, paymentIntent: s.paymentIntent };
  }

  async retrieveCharge(chargeId: string): Promise<ChargeView | null> {
    this.reachable();
    const c = this.charges.get(chargeId);
    if (!c) return null;
    return { chargeId: c.id, paymentId: c.paymentId, paymentIntent: c.paymentIntent, status: 'succeeded', amount: c.amount, amountRefunded: c.amountRefunded, currency: c.currency, disputed: c.disputed };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    this.reachable();
    const done = this.refunds.get(req.idempotencyKey);
    if (done) return { refundId: done.refundId, status: done.status, amount: done.amount };
    const charge = [...this.charges.values()].find((c) => c.paymentIntent === req.paymentIntent);
    if (!charge) throw new ProviderRejectedError('The payment provider refused the request (resource_missing)', 'resource_missing');
    if (!Number.isSafeInteger(req.amount) || req.amount < 1 || req.amount > charge.amount - charge.amountRefunded) {
      throw new ProviderRejectedError('The payment provider refused the request (amount_too_large)', 'amount_too_large');
    }
    const result: RefundResult = { refundId: `re_fake_${randomBytes(8).toString('hex')}`, status: this.refundOutcome, amount: req.amount };
    if (result.status !== 'failed') charge.amountRefunded += req.amount;
    this.refunds.set(req.idempotencyKey, { ...result, paymentIntent: req.paymentIntent });
    return result;
  }

  verifyWebhook(rawBody: Uint8Array | string, headers: Headers | Record<string, string | undefined>) {
    return verifyStripeWebhook(rawBody, headers, this.opts.webhookSecret, this.opts.clock.now().getTime());
  }

  // ---- FakeCheckout: what the /dev/checkout page and tests drive ----

  async complete(paymentId: string, outcome: 'succeed' | 'fail', restore?: FakeSessionSeed): Promise<SignedDelivery> {
    const s = this.sessionFor(paymentId, restore);
    // Like Stripe's page, an expired session takes no payment: the answer is the expiry event.
    if (this.expireIfDue(s)) return this.event('checkout.session.expired', paymentId);
    if (s.status === 'open') {
      s.status = 'complete';
      if (outcome === 'succeed') {
        s.paymentStatus = 'paid';
        s.paymentIntent = `pi_fake_${paymentId}`;
        const charge: FakeCharge = { id: `ch_fake_${paymentId}`, paymentId, paymentIntent: s.paymentIntent, amount: s.amount, currency: s.currency, amountRefunded: 0, disputed: false };
        this.charges.set(charge.id, charge);
      }
    }
    return this.event(outcome === 'succeed' ? 'checkout.session.completed' : 'checkout.session.async_payment_failed', paymentId);
  }

  async expire(paymentId: string, restore?: FakeSessionSeed): Promise<SignedDelivery> {
    const s = this.sessionFor(paymentId, restore);
    if (s.status === 'open') s.status = 'expired';
    return this.event('checkout.session.expired', paymentId);
  }

  async refundElsewhere(paymentId: string, amount: number): Promise<SignedDelivery> {
    const c = this.chargeFor(paymentId);
    c.amountRefunded = Math.min(c.amount, c.amountRefunded + amount);
    return this.event('charge.refunded', paymentId);
  }

  async dispute(paymentId: string, amount?: number): Promise<SignedDelivery> {
    this.chargeFor(paymentId).disputed = true;
    return this.event('charge.dispute.created', paymentId, { disputeAmount: amount });
  }

  async event(type: string, paymentId: string, o: { disputeAmount?: number; eventId?: string; timestamp?: number } = {}): Promise<SignedDelivery> {
    const created = o.timestamp ?? this.nowSeconds();
    let object: Record<string, unknown>;
    if (type.startsWith('checkout.session.')) object = this.sessionObject(this.sessionFor(paymentId));
    else if (type.startsWith('charge.dispute.')) {
      const c = this.chargeFor(paymentId);
      object = { id: `dp_fake_${paymentId}`, object: 'dispute', amount: o.disputeAmount ?? c.amount, currency: c.currency, charge: c.id, payment_intent: c.paymentIntent, reason: 'general', status: 'needs_response', created };
    } else if (type.startsWith('charge.')) object = this.chargeObject(this.chargeFor(paymentId));
    else object = { id: `obj_fake_${paymentId}`, object: 'unknown' };
    const event = {
      id: o.eventId ?? `evt_fake_${randomBytes(12).toString('hex')}`,
      object: 'event',
      api_version: FAKE_API_VERSION,
      created,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    return this.sign(event, created);
  }

  async sign(event: object, timestampSeconds = this.nowSeconds()): Promise<SignedDelivery> {
    const body = JSON.stringify(event, null, 2);
    return { body, headers: { 'content-type': 'application/json; charset=utf-8', [SIGNATURE_HEADER]: signStripePayload(body, this.opts.webhookSecret, timestampSeconds) } };
  }

  async session(paymentId: string) {
    const s = this.sessions.get(`cs_fake_${paymentId}`);
    return s ? { sessionId: s.id, returnUrl: s.returnUrl, amount: s.amount, currency: s.currency, description: s.description, status: s.status } : null;
  }

  private sessionFor(paymentId: string, restore?: FakeSessionSeed): FakeSession {
    const id = `cs_fake_${paymentId}`;
    let s = this.sessions.get(id);
    if (!s && restore) {
      const now = this.nowSeconds();
      s = {
        id,
        paymentId,
        amount: restore.amount,
        currency: restore.currency.toLowerCase(),
        description: restore.description ?? 'Payment',
        returnUrl: restore.returnUrl,
        customerEmail: null,
        created: now,
        expiresAt: now + 3600,
        url: this.opts.publicUrl ? `${this.opts.publicUrl}/dev/checkout/${encodeURIComponent(paymentId)}` : '',
        status: 'open',
        paymentStatus: 'unpaid',
        paymentIntent: null,
      };
      this.sessions.set(id, s);
    }
    if (!s) throw new ProviderRejectedError('No fake checkout session for this payment', 'resource_missing');
    return s;
  }

  private chargeFor(paymentId: string): FakeCharge {
    const c = this.charges.get(`ch_fake_${paymentId}`);
    if (!c) throw new ProviderRejectedError('No fake charge for this payment (it has not been paid)', 'resource_missing');
    return c;
  }

  private sessionObject(s: FakeSession) {
    return {
      id: s.id,
      object: 'checkout.session',
      amount_total: s.amount,
      cancel_url: s.returnUrl,
      client_reference_id: s.paymentId,
      created: s.created,
      currency: s.currency,
      customer_email: s.customerEmail,
      expires_at: s.expiresAt,
      livemode: false,
      metadata: { paymentId: s.paymentId },
      mode: 'payment',
      payment_intent: s.paymentIntent,
      payment_status: s.paymentStatus,
      status: s.status,
      success_url: s.returnUrl,
      url: s.status === 'open' ? s.url : null,
    };
  }

  private chargeObject(c: FakeCharge) {
    return {
      id: c.id,
      object: 'charge',
      amount: c.amount,
      amount_captured: c.amount,
      amount_refunded: c.amountRefunded,
      captured: true,
      currency: c.currency,
      disputed: c.disputed,
      metadata: { paymentId: c.paymentId },
      paid: true,
      payment_intent: c.paymentIntent,
      refunded: c.amountRefunded >= c.amount,
      status: 'succeeded',
    };
  }

  /** Stripe expires an open session at its `expires_at`; the fake does it when the session is next looked at. */
  private expireIfDue(s: FakeSession): boolean {
    if (s.status === 'open' && this.nowSeconds() >= s.expiresAt) s.status = 'expired';
    return s.status === 'expired';
  }

  private reachable() {
    if (this.outage) throw new ProviderUnavailableError('fake outage');
  }

  private nowSeconds() {
    return Math.floor(this.opts.clock.now().getTime() / 1000);
  }
}

/** The API version the fake stamps on its events (Stripe's pinned version of the SDK in package.json). */
export const FAKE_API_VERSION = '2026-11-18.endive';
