import { createHmac } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { headerOf, invalidSignature, type EventSubject, type WebhookEvent } from './provider.js';

/** Stripe's tolerance: a signature whose timestamp is more than this many seconds old is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
export const SIGNATURE_HEADER = 'stripe-signature';

/**
 * `Stripe-Signature` exactly as Stripe writes it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under
 * the endpoint's signing secret. The fake provider signs its events with this, so the one verifier below accepts both.
 */
export function signStripePayload(payload: string | Uint8Array, secret: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  const mac = createHmac('sha256', secret).update(`${t}.`).update(payload).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * The one verifier, for both providers: the official SDK's `webhooks.constructEvent` over the raw bytes (no hand-made
 * parsing of the header: what Stripe's own library accepts is what is accepted here — any `v1` of several may match,
 * the timestamp may be at most 300 s old), then the event's shape. The SDK (~150 ms to import) is loaded on the first
 * event that carries a signature at all; a request without the header is refused before that.
 */
export async function verifyStripeWebhook(
  rawBody: Uint8Array | string,
  headers: Headers | Record<string, string | undefined>,
  secret: string,
  nowMs: number,
): Promise<WebhookEvent> {
  // Outer whitespace is dropped as any HTTP layer drops it (fetch's Headers do); inside, the SDK's parsing rules.
  const header = headerOf(headers, SIGNATURE_HEADER)?.trim();
  if (!header) throw invalidSignature('The Stripe-Signature header is missing');
  if (rawBody.length === 0) throw invalidSignature('The webhook body is empty');
  const { default: Stripe } = await import('stripe');
  let parsed: unknown;
  try {
    parsed = Stripe.webhooks.constructEvent(rawBody, header, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, nowMs);
  } catch (err) {
    // A body that is signed but not JSON can only come from someone holding the secret: a bad request, not a forgery.
    if (err instanceof SyntaxError) throw new AppError('VALIDATION_ERROR', 'The webhook body is not JSON');
    const reason = (err as { type?: string }).type === 'StripeSignatureVerificationError' && /tolerance/i.test(String((err as Error).message)) ? 'too old' : 'wrong';
    throw invalidSignature(`The webhook signature is ${reason}`);
  }
  return toWebhookEvent(parsed);
}

/** The event as the routes use it; a signed body that is not an event is a bad request. */
export function toWebhookEvent(parsed: unknown): WebhookEvent {
  const e = parsed as { id?: unknown; type?: unknown; created?: unknown; data?: { object?: unknown } } | null;
  if (!e || typeof e !== 'object' || typeof e.id !== 'string' || !e.id || typeof e.type !== 'string' || !e.type) {
    throw new AppError('VALIDATION_ERROR', 'The webhook body is not an event');
  }
  const object = e.data && typeof e.data.object === 'object' && e.data.object !== null ? (e.data.object as Record<string, unknown>) : {};
  return { id: e.id, type: e.type, created: typeof e.created === 'number' ? e.created : 0, object, subject: subjectOf(e.type, object) };
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : null);

function subjectOf(type: string, o: Record<string, unknown>): EventSubject {
  if (type.startsWith('checkout.session.') && str(o.id)) {
    const metadata = (o.metadata ?? {}) as Record<string, unknown>;
    return { kind: 'session', sessionId: str(o.id)!, paymentId: str(o.client_reference_id) ?? str(metadata.paymentId) };
  }
  if (type.startsWith('charge.dispute.') && str(o.id) && str(o.charge)) {
    return { kind: 'dispute', disputeId: str(o.id)!, chargeId: str(o.charge)!, amount: Number.isSafeInteger(o.amount) ? (o.amount as number) : 0 };
  }
  if (type.startsWith('charge.') && str(o.id)) return { kind: 'charge', chargeId: str(o.id)! };
  return { kind: 'other' };
}
