import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError, errorBody } from '../../core/errors.js';
import type { AppEnv } from '../../api/env.js';
import { clientIp, requestMeta, tenantCtx } from '../../api/middleware/session.js';
import { checkoutCreate, CheckoutStarted } from './payments.schemas.js';
import { defineRoute, ErrorSchema, IdParam, jsonBody, jsonResponse } from '../../api/routes/registry.js';
import { billingAccountVisible } from '../../api/routes/visibility.js';

/** The webhook's raw body cap: Stripe's events are a few KB. */
export const WEBHOOK_BODY_LIMIT = 256 * 1024;

const html = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Online payments (CONTRACT "Payments online"): the checkout (an authenticated route of the table); the provider's
 * webhook and the fake provider's /dev/checkout page take no session and no CSRF — the webhook is opened by its
 * signature over the raw bytes, the /dev page exists only with the fake provider — so they are plain routes, left out
 * of the route table and of /openapi.json.
 */
export function registerPaymentsRoutes(app: OpenAPIHono<AppEnv>, schemas: { Money: z.ZodNumber }) {
  const CheckoutCreate = checkoutCreate(schemas.Money);
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/accounts/{id}/checkout',
      permission: 'billing:pay',
      visible: billingAccountVisible,
      summary: 'Start an online payment: a pending payment and the provider’s hosted page (503 NOT_READY when the provider is down)',
      request: { params: IdParam, ...jsonBody(CheckoutCreate) },
      responses: { 201: jsonResponse(CheckoutStarted, 'Started'), 503: jsonResponse(ErrorSchema, 'NOT_READY: the payment provider is not reachable (no payment is left pending)') },
    }),
    async (c) => {
      const r = await c.get('container').onlinePayments.checkout(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), new URL(c.req.url).origin);
      return c.json(r, 201);
    },
  );

  app.post('/webhooks/payments/:provider', async (c) => {
    // The raw bytes, before anything is parsed: the signature is over them.
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (raw.byteLength > WEBHOOK_BODY_LIMIT) throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${WEBHOOK_BODY_LIMIT} bytes`);
    const { limits, onlinePayments } = c.get('container');
    await limits.consume('webhook', clientIp(c) ?? 'unknown');
    await onlinePayments.webhook(c.req.param('provider'), raw, c.req.raw.headers, requestMeta(c));
    return c.json({ received: true }, 200);
  });

  const devPage = async (c: Context<AppEnv>) => {
    const svc = c.get('container').onlinePayments;
    const fake = svc.provider.fake;
    const paymentId = c.req.param('paymentId') ?? '';
    const seed = fake ? await svc.devSeed(paymentId) : null;
    if (!fake || !seed) return c.json(errorBody('NOT_FOUND', 'No such checkout', c.get('requestId')), 404);
    return { fake, seed, svc };
  };

  app.get('/dev/checkout/:paymentId', async (c) => {
    const found = await devPage(c);
    if (found instanceof Response) return found;
    const { fake, seed } = found;
    const s = await fake.session(seed.paymentId);
    const amount = (seed.amount / 100).toFixed(2);
    const done = seed.status !== 'pending' || (s && s.status !== 'open');
    const returnOrigin = URL.canParse(seed.returnUrl) ? new URL(seed.returnUrl).origin : '';
    c.header('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${returnOrigin}; frame-ancestors 'none'; base-uri 'none'`);
    c.header('Cache-Control', 'no-store');
    return c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test checkout</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style></head>
<body><h1>Test checkout</h1>
<p>This page stands in for the payment provider's hosted checkout (PAYMENTS_PROVIDER=fake). No card is asked for.</p>
<p id="amount">Amount: <strong>${html(amount)} ${html(seed.currency.toUpperCase())}</strong></p>
<p id="status">Status: ${html(done ? (s?.status ?? seed.status) : 'open')}</p>
<form method="post" action="/dev/checkout/${html(seed.paymentId)}">
<button type="submit" name="outcome" value="succeed" id="pay">Pay</button>
<button type="submit" name="outcome" value="fail" id="decline">Decline</button>
</form></body></html>`);
  });

  app.post('/dev/checkout/:paymentId', async (c) => {
    const found = await devPage(c);
    if (found instanceof Response) return found;
    const { fake, seed } = found;
    const type = c.req.header('content-type') ?? '';
    let outcome: unknown;
    if (/^application\/([a-z.+-]*\+)?json/i.test(type)) outcome = ((await c.req.json().catch(() => ({}))) as { outcome?: unknown })?.outcome;
    else if (/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) outcome = (await c.req.parseBody()).outcome;
    if (outcome !== 'succeed' && outcome !== 'fail')
      return c.json(errorBody('VALIDATION_ERROR', 'outcome must be "succeed" or "fail"', c.get('requestId'), [{ path: 'outcome', message: 'must be "succeed" or "fail"' }]), 400);
    const delivery = await fake.complete(seed.paymentId, outcome, { amount: seed.amount, currency: seed.currency, returnUrl: seed.returnUrl });
    // Delivered to the webhook's own service call, in-process: the same signature verification and the same transaction.
    await c.get('container').onlinePayments.webhook('fake', new TextEncoder().encode(delivery.body), new Headers(delivery.headers), requestMeta(c)).catch((err: unknown) => {
      c.get('container').logger.warn({ err, paymentId: seed.paymentId }, 'dev checkout: the webhook did not accept the event');
    });
    return c.redirect(seed.returnUrl, 303);
  });
}
