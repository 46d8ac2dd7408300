import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.js';

/**
 * The container hands the payments provider to the services (deps.payments) and exposes it as `container.payments`:
 * the fake by default, Stripe when PAYMENTS_PROVIDER=stripe (pointed at the stand-in here). Runs on the engine the HTTP
 * tests use (the PostgreSQL server with DATABASE_URL, else PGlite).
 */
describe('the payments provider in the container', () => {
  let standin: StripeStandin;
  let fakeSrv: TestServer;
  let stripeSrv: TestServer;
  beforeAll(async () => {
    standin = await startStripeStandin();
    fakeSrv = await startServer();
    stripeSrv = await startServer({ env: { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_container', STRIPE_WEBHOOK_SECRET: 'whsec_container', STRIPE_API_URL: standin.url } });
  }, 240_000); // two servers, each migrating its own PGlite: slow on a loaded 2-core machine
  afterAll(async () => {
    await fakeSrv?.close();
    await stripeSrv?.close();
    await standin?.close();
  });

  it('fake by default: redirects to this server own /dev/checkout page, and verifies its own events', async () => {
    const p = fakeSrv.container.payments;
    expect(p.name).toBe('fake');
    const s = await p.createCheckout({ paymentId: 'c-1', amount: 100, currency: 'usd', description: 'x', returnUrl: 'http://localhost:3000/r', expiresAt: new Date(Date.now() + 3600_000), origin: fakeSrv.url });
    expect(s.redirectUrl).toBe(`${fakeSrv.url}/dev/checkout/c-1`);
    const d = await p.fake!.complete('c-1', 'succeed');
    await expect(p.verifyWebhook(d.body, d.headers)).resolves.toMatchObject({ type: 'checkout.session.completed' });
  });

  it('stripe when configured: the SDK talks to STRIPE_API_URL with STRIPE_SECRET_KEY', async () => {
    const p = stripeSrv.container.payments;
    expect(p.name).toBe('stripe');
    expect(p.fake).toBeUndefined();
    const s = await p.createCheckout({ paymentId: 'c-2', amount: 5000, currency: 'usd', description: 'x', returnUrl: 'https://app.example.com/r', expiresAt: new Date(Date.now() + 3600_000) });
    expect(s.redirectUrl).toBe(standin.sessions.get(s.sessionId)!.url);
    expect(standin.requests.at(-1)).toMatchObject({ path: '/v1/checkout/sessions', authorization: 'Bearer sk_test_container', idempotencyKey: 'c-2' });
  });
});
