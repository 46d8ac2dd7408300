import Stripe from 'stripe';
import type { Clock } from '../../core/clock.js';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  type ChargeView,
  type CheckoutRequest,
  type CheckoutSession,
  type PaymentsProvider,
  type RefundRequest,
  type RefundResult,
  type SessionView,
} from './provider.js';
import { verifyStripeWebhook } from './stripe-signature.js';

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** STRIPE_API_URL parsed (a local stand-in in tests); Stripe's own API when absent. */
  api?: { host: string; port: number; protocol: 'http' | 'https' };
  clock: Clock;
  /** Per attempt. A checkout holds its database transaction open while Stripe answers, so keep it short. */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, 409, 5xx), with the SDK's backoff and the same Idempotency-Key. */
  maxNetworkRetries?: number;
}

/** 5 s per attempt and one retry: at most ~11 s, well inside the gateway's 30 s. */
export const STRIPE_TIMEOUT_MS = 5000;
export const STRIPE_MAX_NETWORK_RETRIES = 1;

/** Stripe through its official SDK (this module, and so the SDK, is imported on first use: see index.ts). */
export class StripePaymentsProvider implements PaymentsProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly opts: StripeProviderOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      ...(opts.api ?? {}),
      timeout: opts.timeoutMs ?? STRIPE_TIMEOUT_MS,
      maxNetworkRetries: opts.maxNetworkRetries ?? STRIPE_MAX_NETWORK_RETRIES,
      telemetry: false,
    });
  }

  async createCheckout(req: CheckoutRequest): Promise<CheckoutSession> {
    const session = await call(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: req.paymentId,
          metadata: { paymentId: req.paymentId },
          // Copied onto the PaymentIntent and its charge, so charge.refunded and disputes name our payment too.
          payment_intent_data: { metadata: { paymentId: req.paymentId } },
          line_items: [{ quantity: 1, price_data: { currency: req.currency.toLowerCase(), unit_amount: req.amount, product_data: { name: req.description } } }],
          success_url: req.returnUrl,
          cancel_url: req.returnUrl,
          expires_at: Math.floor(req.expiresAt.getTime() / 1000),
          ...(req.customerEmail ? { customer_email: req.customerEmail } : {}),
        },
        // Our payment id: a retried create (ours, or the SDK's own retry) is one session at Stripe.
        { idempotencyKey: req.paymentId },
      ),
    );
    if (!session.url) throw new ProviderUnavailableError('the checkout session has no url');
    return { sessionId: session.id, redirectUrl: session.url, expiresAt: new Date(session.expires_at * 1000) };
  }

  async retrieveSession(sessionId: string): Promise<SessionView | null> {
    const s = await callOrMissing(() => this.stripe.checkout.sessions.retrieve(sessionId));
    if (!s) return null;
    const status: SessionView['status'] = s.status === 'expired' ? 'expired' : s.payment_status === 'paid' ? 'paid' : s.status === 'complete' ? 'unpaid' : 'open';
    return {
      sessionId: s.id,
      status,
      paymentId: s.client_reference_id || s.metadata?.paymentId || null,
      amount: s.amount_total ?? null,
      currency: s.currency ?? null,
      paymentIntent: idOf(s.payment_intent),
    };
  }

  async retrieveCharge(chargeId: string): Promise<ChargeView | null> {
    const c = await callOrMissing(() => this.stripe.charges.retrieve(chargeId));
    if (!c) return null;
    return {
      chargeId: c.id,
      paymentId: c.metadata?.paymentId || null,
      paymentIntent: idOf(c.payment_intent),
      status: c.status === 'succeeded' ? 'succeeded' : c.status === 'pending' ? 'pending' : 'failed',
      amount: c.amount,
      amountRefunded: c.amount_refunded ?? 0,
      currency: c.currency,
      disputed: c.disputed === true,
    };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    // Our refund reason stays ours: Stripe's `reason` is a closed set (duplicate, fraudulent, requested_by_customer).
    const r = await call(() => this.stripe.refunds.create({ payment_intent: req.paymentIntent, amount: req.amount }, { idempotencyKey: req.idempotencyKey }));
    return { refundId: r.id, status: refundStatus(r.status), amount: r.amount };
  }

  verifyWebhook(rawBody: Uint8Array | string, headers: Headers | Record<string, string | undefined>) {
    return verifyStripeWebhook(rawBody, headers, this.opts.webhookSecret, this.opts.clock.now().getTime());
  }
}

export function refundStatus(s: string | null | undefined): RefundResult['status'] {
  if (s === 'succeeded') return 'succeeded';
  if (s === 'failed' || s === 'canceled') return 'failed';
  return 'pending'; // pending, requires_action
}

const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null);

/** Stripe's errors as ours: unreachable or failing → 503 NOT_READY; a request it refuses → 422 with its code. */
export function fromStripeError(err: unknown): unknown {
  const e = err as { type?: string; statusCode?: number; code?: string; message?: string; param?: string };
  if (!e || typeof e.type !== 'string' || !e.type.startsWith('Stripe')) return err;
  switch (e.type) {
    case 'StripeInvalidRequestError':
    case 'StripeCardError':
    case 'StripeIdempotencyError':
      return new ProviderRejectedError(
        `The payment provider refused the request${e.code ? ` (${e.code})` : ''}`,
        e.code,
        e.param ? [{ field: e.param, message: e.code ?? 'refused' }] : undefined,
      );
    default:
      // Connection (including timeouts), API (5xx, bad answers), rate limit, and our own credentials refused (401/403):
      // nothing the caller can fix; try again later.
      return new ProviderUnavailableError(`${e.type}${e.statusCode ? ` ${e.statusCode}` : ''}`, { cause: err });
  }
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromStripeError(err);
  }
}

/** A 404 (`resource_missing`) is "Stripe does not know it": null, not an error. */
async function callOrMissing<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { type?: string; statusCode?: number; code?: string };
    if (e?.type === 'StripeInvalidRequestError' && (e.statusCode === 404 || e.code === 'resource_missing')) return null;
    throw fromStripeError(err);
  }
}
