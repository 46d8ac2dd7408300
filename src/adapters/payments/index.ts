import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import { FakePaymentsProvider } from './fake-provider.js';
import type { PaymentsProvider } from './provider.js';
import type { StripeProviderOptions } from './stripe-provider.js';
import { verifyStripeWebhook } from './stripe-signature.js';

/**
 * PAYMENTS_PROVIDER: `stripe` (config has checked STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET) or `fake` (the default;
 * refused in production). The fake signs with STRIPE_WEBHOOK_SECRET when set, else with a secret derived from the
 * deployment's session secret under its own label (so nothing more is kept in DATA_DIR).
 */
export function openPayments(
  config: Pick<Config, 'payments' | 'publicUrl'>,
  opts: { clock: Clock; sessionSecret: string; stripe?: Partial<Pick<StripeProviderOptions, 'timeoutMs' | 'maxNetworkRetries'>> },
): PaymentsProvider {
  const { provider, stripe } = config.payments;
  if (provider === 'stripe') {
    const { secretKey, webhookSecret, api } = stripe;
    if (!secretKey || !webhookSecret) throw new Error('PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
    return lazyStripe(() => import('./stripe-provider.js').then(({ StripePaymentsProvider }) => new StripePaymentsProvider({ secretKey, webhookSecret, api, clock: opts.clock, ...opts.stripe })), {
      webhookSecret,
      clock: opts.clock,
    });
  }
  return new FakePaymentsProvider({ webhookSecret: stripe.webhookSecret ?? fakeWebhookSecret(opts.sessionSecret), publicUrl: config.publicUrl, clock: opts.clock });
}
export type { PaymentsProvider };

/** The fake's signing secret when STRIPE_WEBHOOK_SECRET is not set: `whsec_` + HMAC(session secret, label). */
export const fakeWebhookSecret = (sessionSecret: string) => `whsec_${createHmac('sha256', sessionSecret).update('daycare/payments/fake-webhook-secret').digest('base64url')}`;

/**
 * The Stripe SDK (~150 ms to import, several MB of code) is imported and its client built on the first call that needs
 * it, not when the container is built: most requests never touch a payment (the README's cold-start budget). Webhook
 * verification needs no client: the signature module imports the SDK's verifier itself, and only for a request that
 * carries a signature header at all.
 */
function lazyStripe(load: () => Promise<PaymentsProvider>, verify: { webhookSecret: string; clock: Clock }): PaymentsProvider {
  let pending: Promise<PaymentsProvider> | undefined;
  const driver = () =>
    (pending ??= load().catch((err) => {
      pending = undefined;
      throw err;
    }));
  return {
    name: 'stripe',
    createCheckout: async (req) => (await driver()).createCheckout(req),
    retrieveSession: async (id) => (await driver()).retrieveSession(id),
    retrieveCharge: async (id) => (await driver()).retrieveCharge(id),
    refund: async (req) => (await driver()).refund(req),
    verifyWebhook: (raw, headers) => verifyStripeWebhook(raw, headers, verify.webhookSecret, verify.clock.now().getTime()),
  };
}
