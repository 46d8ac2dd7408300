import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';

/** Request and response schemas of the online-payment routes (CONTRACT "Payments online"). */
/** `Money`: billing's schema of an amount (an integer of minor units), handed in by the manifest from billing's module.ts. */
export const checkoutCreate = (Money: z.ZodNumber) =>
  z
    .object({
      amount: Money.optional().openapi({ description: 'Default: the balance. < 1 or more than the balance → 422' }),
      returnUrl: str().max(2048).openapi({ description: 'Where the hosted page sends the payer back: APP_URL’s origin or one of APP_ORIGINS (else 422)' }),
    })
    .strict()
    .openapi('CheckoutCreate');
export const CheckoutStarted = z.object({ paymentId: str(), redirectUrl: str(), expiresAt: str() }).openapi('CheckoutStarted');
