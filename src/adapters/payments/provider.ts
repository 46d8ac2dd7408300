import { AppError, type ErrorDetail } from '../../core/errors.js';

/**
 * Online payments behind one port: a hosted checkout page (no card data ever reaches the API), read-backs of what the
 * provider knows, refunds, and the verification of its signed webhooks. Two implementations: `stripe` (the official
 * SDK, loaded on first use) and `fake` (local runs and tests: the API's own /dev/checkout page, events signed exactly
 * as Stripe signs them). Amounts are integers of minor units everywhere.
 */
export type PaymentsProviderName = 'stripe' | 'fake';

export interface CheckoutRequest {
  /** Our payment id: Stripe's `client_reference_id`, `metadata[paymentId]` and the create's Idempotency-Key. */
  paymentId: string;
  amount: number;
  /** ISO 4217, any case (sent lower-case). */
  currency: string;
  description: string;
  /** Where the hosted page sends the payer back (success and cancel alike). */
  returnUrl: string;
  customerEmail?: string;
  /** When the session stops accepting a payment (Stripe: 30 minutes to 24 hours ahead). */
  expiresAt: Date;
  /** fake only: the request's origin, for the /dev/checkout URL when PUBLIC_URL is not set. */
  origin?: string;
}

export interface CheckoutSession {
  sessionId: string;
  redirectUrl: string;
  expiresAt: Date;
}

/**
 * A checkout session as the provider sees it now. `open`: not completed yet; `paid`: the money is there; `unpaid`:
 * completed but not paid (an asynchronous method still processing — or, after `…async_payment_failed`, failed);
 * `expired`: abandoned, nothing will be paid.
 */
export interface SessionView {
  sessionId: string;
  status: 'open' | 'paid' | 'unpaid' | 'expired';
  /** Our payment id: `client_reference_id`, else `metadata.paymentId`; null when neither is there (not ours). */
  paymentId: string | null;
  amount: number | null;
  currency: string | null;
  /** Stripe's PaymentIntent id (`pi_…`), once there is one: refunds name it. */
  paymentIntent: string | null;
}

export interface ChargeView {
  chargeId: string;
  /** Our payment id from the charge's `metadata.paymentId` (copied from the PaymentIntent's), when present. */
  paymentId: string | null;
  paymentIntent: string | null;
  status: 'succeeded' | 'pending' | 'failed';
  amount: number;
  /** Everything refunded so far, wherever the refund was made (ours, or the provider's dashboard). */
  amountRefunded: number;
  currency: string;
  /** A dispute has been opened on this charge. */
  disputed: boolean;
}

export interface RefundRequest {
  paymentIntent: string;
  amount: number;
  /** Our refund's id, so a retried call is one refund at the provider. */
  idempotencyKey: string;
}

export interface RefundResult {
  refundId: string;
  status: 'pending' | 'succeeded' | 'failed';
  amount: number;
}

/** The events the routes act on (CONTRACT, Payments online); every other type is acknowledged and ignored. */
export const USED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.dispute.created',
] as const;
export type UsedEventType = (typeof USED_EVENT_TYPES)[number];

/** What an event is about, read from its object (a hint only: read it back from the provider before acting). */
export type EventSubject =
  | { kind: 'session'; sessionId: string; paymentId: string | null }
  | { kind: 'charge'; chargeId: string }
  | { kind: 'dispute'; disputeId: string; chargeId: string; amount: number }
  | { kind: 'other' };

/** A webhook whose signature checked out. */
export interface WebhookEvent {
  /** The provider's event id (`evt_…`): record it under a unique constraint with the effect. */
  id: string;
  type: string;
  /** Seconds since the epoch, as the provider stamped it. */
  created: number;
  /** `data.object` as sent. */
  object: Record<string, unknown>;
  subject: EventSubject;
}

export interface PaymentsProvider {
  readonly name: PaymentsProviderName;
  createCheckout(req: CheckoutRequest): Promise<CheckoutSession>;
  /** null when the provider does not know the session. */
  retrieveSession(sessionId: string): Promise<SessionView | null>;
  /** null when the provider does not know the charge. */
  retrieveCharge(chargeId: string): Promise<ChargeView | null>;
  refund(req: RefundRequest): Promise<RefundResult>;
  /**
   * Checks `Stripe-Signature` over the raw bytes (before anything is parsed) and parses the event; a missing, wrong or
   * stale (over 300 s) signature throws AppError INVALID_SIGNATURE (400).
   */
  verifyWebhook(rawBody: Uint8Array | string, headers: Headers | Record<string, string | undefined>): Promise<WebhookEvent>;
  /** Only the fake provider: what /dev/checkout/{paymentId} and tests drive (absent → the /dev routes answer 404). */
  readonly fake?: FakeCheckout;
}

/** A signed event ready to POST to /webhooks/payments/{provider}: the exact body bytes and the headers to send. */
export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/** What a fake session needs to be re-created after a restart (its memory is gone; our payment row is not). */
export interface FakeSessionSeed {
  amount: number;
  currency: string;
  returnUrl: string;
  description?: string;
}

/**
 * The fake provider's controls. Each call changes the fake's state the way the real thing would and returns the event
 * Stripe would send, signed; the caller delivers it to the webhook route (the route reads the state back, as ever).
 */
export interface FakeCheckout {
  /** Pay: the session completes, paid, with a PaymentIntent and a charge (`checkout.session.completed`). Decline:
   *  completed unpaid (`checkout.session.async_payment_failed`). A session already completed or expired is left as is. */
  complete(paymentId: string, outcome: 'succeed' | 'fail', restore?: FakeSessionSeed): Promise<SignedDelivery>;
  /** The session expires (`checkout.session.expired`) unless already completed. */
  expire(paymentId: string, restore?: FakeSessionSeed): Promise<SignedDelivery>;
  /** A refund made in the provider's dashboard (`charge.refunded`, amount_refunded grown by `amount`). */
  refundElsewhere(paymentId: string, amount: number): Promise<SignedDelivery>;
  /** A dispute opened on the payment's charge (`charge.dispute.created`, of `amount`, default the whole charge). */
  dispute(paymentId: string, amount?: number): Promise<SignedDelivery>;
  /** Any event type about a payment, from the current state (tests: replays, reordering, unused types). */
  event(type: string, paymentId: string, o?: { disputeAmount?: number; eventId?: string; timestamp?: number }): Promise<SignedDelivery>;
  /** Signs any event object as Stripe would (tests: forged or stale deliveries are built from this). */
  sign(event: object, timestampSeconds?: number): Promise<SignedDelivery>;
  /** The /dev/checkout page's view of the session, or null. */
  session(paymentId: string): Promise<{ sessionId: string; returnUrl: string; amount: number; currency: string; description: string; status: 'open' | 'complete' | 'expired' } | null>;
  /** Tests: every provider call fails as an unreachable provider would (503 NOT_READY). */
  outage: boolean;
  /** Tests: what the next refunds answer. */
  refundOutcome: RefundResult['status'];
}

/** The provider could not be reached or failed (network, timeout, 5xx, 429, our credentials refused): 503 NOT_READY. */
export class ProviderUnavailableError extends AppError {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super('NOT_READY', 'The payment provider is not available right now; try again shortly');
    this.name = 'ProviderUnavailableError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The provider refused the request itself (an amount below its minimum, a charge already refunded…): 422. */
export class ProviderRejectedError extends AppError {
  constructor(message: string, readonly providerCode: string | undefined, details?: ErrorDetail[]) {
    super('UNPROCESSABLE', message, details);
    this.name = 'ProviderRejectedError';
  }
}

export const invalidSignature = (message = 'The webhook signature is missing, wrong or too old') => new AppError('INVALID_SIGNATURE', message);

/** A header by name from either shape the routes may hand in. */
export function headerOf(headers: Headers | Record<string, string | undefined>, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
