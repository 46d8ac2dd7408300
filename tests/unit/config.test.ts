import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, loadConfig } from '../../src/core/config.js';

/** Production refuses the fake payments provider (CONTRACT §1): a complete production environment names Stripe. */
const STRIPE = { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };

describe('config', () => {
  it('has local defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', dataDir: './.data', localAuth: true, bodyLimit: 1048576, refreshGraceSeconds: 10 });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.rateLimitAuthPerMinute).toBeGreaterThanOrEqual(300);
  });
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ BODY_LIMIT: String(7 * 1024 * 1024) }, 'BODY_LIMIT'],
    [{ APP_ORIGINS: '*' }, 'APP_ORIGINS'],
    [{ APP_ORIGINS: 'https://a.example.com/path' }, 'APP_ORIGINS'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('names the bad variable and never its value: %j', (env, variable) => {
    try {
      loadConfig(env as Record<string, string>);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain(variable);
      for (const v of Object.values(env)) if (v.length > 3) expect((e as Error).message).not.toContain(v);
      expect((e as Error).message.split('\n')).toHaveLength(1);
    }
  });
  it('production refuses to start without database, session secret and Supabase', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a/b' })).toThrow(/SESSION_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a/b', SESSION_SECRET: 'x'.repeat(32) })).toThrow(/SUPABASE/);
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://a/b', SESSION_SECRET: 'x'.repeat(32), SUPABASE_URL: 'https://p.supabase.co', ...STRIPE } as const;
    // Emails must really go out in production: SMTP_URL or EMAIL_TRANSPORT=ses (issue 23).
    expect(() => loadConfig(prod)).toThrow(/SMTP_URL or EMAIL_TRANSPORT=ses/);
    expect(loadConfig({ ...prod, EMAIL_TRANSPORT: 'ses' }).email.transport).toBe('ses');
    const c = loadConfig({ ...prod, SMTP_URL: 'smtp://mail.example.com:587' });
    expect(c.localAuth).toBe(false);
    expect(c.email.smtpUrl).toBe('smtp://mail.example.com:587');
  });
  it('parses the notification settings', () => {
    const c = loadConfig({ APP_URL: 'https://app.example.com', EMAIL_FROM: 'hello@example.com', MESSAGE_EMAIL_DELAY_SECONDS: '2', NOTIFY_RETRY_SECONDS: '1, 2,3' });
    expect(c.email).toMatchObject({ appUrl: 'https://app.example.com', from: 'hello@example.com', messageDelaySeconds: 2, retrySeconds: [1, 2, 3] });
    expect(loadConfig({}).email).toMatchObject({ appUrl: 'http://localhost:3000', messageDelaySeconds: 300, retrySeconds: [60, 300, 1800, 7200, 21600] });
    expect(() => loadConfig({ NOTIFY_RETRY_SECONDS: '60,soon' })).toThrow(/NOTIFY_RETRY_SECONDS/);
    expect(loadConfig({}).email.sendLeaseSeconds).toBe(120);
    expect(loadConfig({ NOTIFY_SEND_LEASE_SECONDS: '30' }).email.sendLeaseSeconds).toBe(30);
    expect(() => loadConfig({ NOTIFY_SEND_LEASE_SECONDS: '1' })).toThrow(/NOTIFY_SEND_LEASE_SECONDS/);
    expect(() => loadConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'carrier-pigeon' })).toThrow(/EMAIL_TRANSPORT/);
  });
  it('TRUST_PROXY: a hop count or a list of addresses/CIDRs; JOBS_STALLED_SECONDS', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1,fd00::/8' }).trustProxy).toEqual({ cidrs: ['10.0.0.0/8', '192.168.1.1', 'fd00::/8'] });
    for (const bad of ['11', 'true', '10.0.0.0/33', 'proxy.example.com', '10.0.0.0/8/1', '::1/129'])
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    expect(loadConfig({}).jobs.stalledSeconds).toBe(120);
    expect(loadConfig({ JOBS_STALLED_SECONDS: '30' }).jobs.stalledSeconds).toBe(30);
    expect(() => loadConfig({ JOBS_STALLED_SECONDS: '1' })).toThrow(/JOBS_STALLED_SECONDS/);
  });
  it('several hosts: a missing SESSION_SECRET or S3 bucket beside DATABASE_URL is warned about (refused in production)', () => {
    expect(configWarnings(loadConfig({}))).toEqual([]);
    const shared = configWarnings(loadConfig({ DATABASE_URL: 'postgres://a/b' }));
    expect(shared).toHaveLength(2);
    expect(shared[0]).toMatch(/^SESSION_SECRET is not set/);
    expect(shared[1]).toMatch(/^S3_BUCKET is not set.*S3-compatible/);
    expect(configWarnings(loadConfig({ DATABASE_URL: 'postgres://a/b', SESSION_SECRET: 'x'.repeat(32), S3_BUCKET: 'files', AWS_REGION: 'eu-west-1' }))).toEqual([]);
    // Production refuses to start without SESSION_SECRET (one line naming it), DATABASE_URL or not.
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a/b', SUPABASE_URL: 'https://p.supabase.co', SMTP_URL: 'smtp://m:25', ...STRIPE })).toThrow(/^Invalid configuration: SESSION_SECRET is required when NODE_ENV=production$/);
  });
  it('parses origins', () => {
    expect(loadConfig({ APP_ORIGINS: 'https://a.example.com, http://localhost:5173' }).appOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
  });
});
