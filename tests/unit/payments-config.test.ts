import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.js';

/** CONTRACT §1: PAYMENTS_PROVIDER (`fake` by default, refused in production), STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_URL. */
const PROD = { NODE_ENV: 'production', DATABASE_URL: 'postgres://a/b', SESSION_SECRET: 'x'.repeat(32), SUPABASE_URL: 'https://p.supabase.co', EMAIL_TRANSPORT: 'ses' };
const STRIPE = { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_live_secret_value_123', STRIPE_WEBHOOK_SECRET: 'whsec_secret_value_456' };

function problem(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const m = (e as Error).message;
    expect(m.split('\n')).toHaveLength(1);
    for (const k of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'SESSION_SECRET']) if (env[k]) expect(m).not.toContain(env[k]);
    return m;
  }
  throw new Error('expected a configuration error');
}

describe('payments configuration', () => {
  it('fake by default outside production, with no Stripe settings', () => {
    expect(loadConfig({}).payments).toEqual({ provider: 'fake', stripe: { secretKey: undefined, webhookSecret: undefined, api: undefined } });
    expect(loadConfig({ NODE_ENV: 'test', PAYMENTS_PROVIDER: 'fake' }).payments.provider).toBe('fake');
  });

  it('production refuses the fake, set or by default, naming PAYMENTS_PROVIDER', () => {
    expect(problem(PROD)).toMatch(/PAYMENTS_PROVIDER must be stripe when NODE_ENV=production/);
    expect(problem({ ...PROD, PAYMENTS_PROVIDER: 'fake' })).toMatch(/PAYMENTS_PROVIDER/);
    expect(loadConfig({ ...PROD, ...STRIPE }).payments.provider).toBe('stripe');
  });

  it('stripe needs both secrets: one line naming each missing variable, never a value', () => {
    expect(problem({ PAYMENTS_PROVIDER: 'stripe' })).toMatch(/STRIPE_SECRET_KEY is required with PAYMENTS_PROVIDER=stripe; STRIPE_WEBHOOK_SECRET is required/);
    expect(problem({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: STRIPE.STRIPE_SECRET_KEY })).toMatch(/^Invalid configuration: STRIPE_WEBHOOK_SECRET is required with PAYMENTS_PROVIDER=stripe$/);
    expect(problem({ PAYMENTS_PROVIDER: 'stripe', STRIPE_WEBHOOK_SECRET: STRIPE.STRIPE_WEBHOOK_SECRET })).toMatch(/^Invalid configuration: STRIPE_SECRET_KEY is required/);
    expect(problem({ PAYMENTS_PROVIDER: 'paypal' })).toMatch(/PAYMENTS_PROVIDER/);
  });

  it("STRIPE_API_URL becomes the SDK's host, port and protocol; default Stripe's own", () => {
    expect(loadConfig(STRIPE).payments.stripe).toEqual({ secretKey: STRIPE.STRIPE_SECRET_KEY, webhookSecret: STRIPE.STRIPE_WEBHOOK_SECRET, api: undefined });
    expect(loadConfig({ ...STRIPE, STRIPE_API_URL: 'http://127.0.0.1:12111' }).payments.stripe.api).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(loadConfig({ ...STRIPE, STRIPE_API_URL: 'https://stripe-mock.internal/' }).payments.stripe.api).toEqual({ host: 'stripe-mock.internal', port: 443, protocol: 'https' });
    expect(loadConfig({ ...STRIPE, STRIPE_API_URL: 'http://localhost' }).payments.stripe.api).toEqual({ host: 'localhost', port: 80, protocol: 'http' });
    expect(loadConfig({ ...STRIPE, STRIPE_API_URL: 'http://[::1]:8080' }).payments.stripe.api).toEqual({ host: '::1', port: 8080, protocol: 'http' });
    expect(problem({ ...STRIPE, STRIPE_API_URL: 'http://127.0.0.1:12111/v1' })).toMatch(/STRIPE_API_URL must be an origin/);
    expect(problem({ ...STRIPE, STRIPE_API_URL: 'ftp://127.0.0.1' })).toMatch(/STRIPE_API_URL/);
  });
});
