import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { resolveSecrets, secretsManagerFetcher } from '../../src/core/secrets.js';
import { lambdaContext, v2Event } from './events.js';

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-2:123456789012:secret:daycare/${name}-AbCdEf`;
const VALUES: Record<string, string> = {
  [ARN('database-url')]: 'postgres://app_user:pw@db.example.test:6543/postgres',
  [ARN('session-secret')]: 'S'.repeat(64),
  [ARN('supabase-jwt')]: 'J'.repeat(40),
  [ARN('redis-url')]: 'rediss://default:pw@cache.example.test:6379',
  [ARN('stripe-key')]: 'sk_live_from_secrets_manager',
  [ARN('stripe-webhook')]: 'whsec_from_secrets_manager',
};
function fakeClient() {
  return {
    send: vi.fn(async (cmd: unknown) => {
      expect(cmd).toBeInstanceOf(GetSecretValueCommand);
      const id = (cmd as GetSecretValueCommand).input.SecretId!;
      if (!(id in VALUES)) throw Object.assign(new Error(`Secrets Manager can't find the specified secret.`), { name: 'ResourceNotFoundException' });
      return { SecretString: VALUES[id], ARN: id };
    }),
  };
}

describe('resolveSecrets', () => {
  it('reads each *_SECRET_ARN once, with exactly that ARN, into the plain variable', async () => {
    const client = fakeClient();
    const env: Record<string, string | undefined> = {
      DATABASE_URL_SECRET_ARN: ARN('database-url'),
      SESSION_SECRET_ARN: ARN('session-secret'),
      SUPABASE_JWT_SECRET_ARN: ARN('supabase-jwt'),
      REDIS_URL_SECRET_ARN: ARN('redis-url'),
      DATABASE_URL: 'postgres://stale@old/value',
    };
    const set = await resolveSecrets(env, secretsManagerFetcher(client));
    expect(set).toEqual(['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_JWT_SECRET', 'REDIS_URL']);
    expect(client.send).toHaveBeenCalledTimes(4);
    const inputs = client.send.mock.calls.map(([cmd]) => (cmd as GetSecretValueCommand).input);
    expect(inputs).toEqual(
      expect.arrayContaining([
        { SecretId: ARN('database-url') },
        { SecretId: ARN('session-secret') },
        { SecretId: ARN('supabase-jwt') },
        { SecretId: ARN('redis-url') },
      ]),
    );
    expect(inputs).toHaveLength(4);
    expect(env.DATABASE_URL).toBe(VALUES[ARN('database-url')]);
    expect(env.SESSION_SECRET).toBe(VALUES[ARN('session-secret')]);
    expect(env.SUPABASE_JWT_SECRET).toBe(VALUES[ARN('supabase-jwt')]);
    expect(env.REDIS_URL).toBe(VALUES[ARN('redis-url')]);
  });

  it('the Stripe secrets (PAYMENTS_PROVIDER=stripe in production) the same way', async () => {
    const client = fakeClient();
    const env: Record<string, string | undefined> = { STRIPE_SECRET_KEY_SECRET_ARN: ARN('stripe-key'), STRIPE_WEBHOOK_SECRET_ARN: ARN('stripe-webhook') };
    expect(await resolveSecrets(env, secretsManagerFetcher(client))).toEqual(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']);
    expect(env).toMatchObject({ STRIPE_SECRET_KEY: 'sk_live_from_secrets_manager', STRIPE_WEBHOOK_SECRET: 'whsec_from_secrets_manager' });
  });

  it('asks in parallel', async () => {
    let inFlight = 0;
    let peak = 0;
    const fetch = async (arn: string) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return VALUES[arn]!;
    };
    await resolveSecrets({ SESSION_SECRET_ARN: ARN('session-secret'), DATABASE_URL_SECRET_ARN: ARN('database-url') }, fetch);
    expect(peak).toBe(2);
  });

  it('leaves the plain variables alone when no ARN is set (a laptop), without calling AWS', async () => {
    const client = fakeClient();
    const env: Record<string, string | undefined> = { DATABASE_URL: 'postgres://root@127.0.0.1:5432/x', SESSION_SECRET: 'x'.repeat(32), SESSION_SECRET_ARN: '' };
    expect(await resolveSecrets(env, secretsManagerFetcher(client))).toEqual([]);
    expect(client.send).not.toHaveBeenCalled();
    expect(env).toEqual({ DATABASE_URL: 'postgres://root@127.0.0.1:5432/x', SESSION_SECRET: 'x'.repeat(32), SESSION_SECRET_ARN: '' });
  });

  it('fails with a ConfigError naming the ARN variable, never a value', async () => {
    const env = { SESSION_SECRET_ARN: ARN('session-secret'), SUPABASE_JWT_SECRET_ARN: ARN('missing') };
    const err = await resolveSecrets(env, secretsManagerFetcher(fakeClient())).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe('SUPABASE_JWT_SECRET_ARN');
    expect(err.message).toContain('ResourceNotFoundException');
    expect(err.message).not.toContain(VALUES[ARN('session-secret')]);
  });

  it('refuses an empty or binary secret', async () => {
    await expect(resolveSecrets({ REDIS_URL_SECRET_ARN: 'arn:x' }, async () => '  ')).rejects.toThrow(/REDIS_URL_SECRET_ARN names an empty secret/);
    const binary = { send: async () => ({ SecretBinary: new Uint8Array([1]) }) as { SecretString?: string } };
    await expect(resolveSecrets({ REDIS_URL_SECRET_ARN: 'arn:x' }, secretsManagerFetcher(binary))).rejects.toThrow(/no SecretString/);
  });
});

describe('Lambda cold start with secrets (the real SDK client, its send() mocked)', () => {
  const savedEnv = { ...process.env };
  const DB_ARN = ARN('database-url');
  let send: { mock: { calls: unknown[][] }; mockClear(): void; mockRestore(): void };
  let runtime: typeof import('../../src/entrypoints/lambda-runtime.js');
  let handler: (e: unknown, c?: unknown) => Promise<{ statusCode: number; body: string }>;

  beforeAll(async () => {
    const serverUrl = savedEnv.DATABASE_URL;
    send = vi.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async (cmd: GetSecretValueCommand) => {
      const id = cmd.input.SecretId!;
      if (id === DB_ARN) return { SecretString: serverUrl };
      return { SecretString: VALUES[id] };
    }) as never);
    process.env.NODE_ENV = 'test';
    process.env.LOG_LEVEL = 'silent';
    process.env.AWS_REGION = 'us-east-2';
    process.env.DATA_DIR = 'memory://';
    for (const v of ['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_JWT_SECRET', 'SUPABASE_URL', 'REDIS_URL', 'DB_POOL_MAX']) delete process.env[v];
    process.env.SESSION_SECRET_ARN = ARN('session-secret');
    process.env.SUPABASE_JWT_SECRET_ARN = ARN('supabase-jwt');
    // The database URL comes from a secret too when a server is available; otherwise PGlite (in memory).
    if (serverUrl) process.env.DATABASE_URL_SECRET_ARN = DB_ARN;
    runtime = await import('../../src/entrypoints/lambda-runtime.js');
    ({ handler } = (await import('../../src/entrypoints/lambda-api.js')) as never);
  });
  afterAll(async () => {
    await runtime.resetForTests();
    send.mockRestore();
    process.env = savedEnv;
  });

  it('calls GetSecretValue once per ARN per cold start, however many invocations follow', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await handler(v2Event('GET', '/health/ready'), lambdaContext);
      expect(res.statusCode, res.body).toBe(200);
    }
    const expected = [ARN('session-secret'), ARN('supabase-jwt'), ...(savedEnv.DATABASE_URL ? [DB_ARN] : [])];
    const asked = send.mock.calls.map(([cmd]) => (cmd as GetSecretValueCommand).input);
    expect(asked).toHaveLength(expected.length);
    expect(asked).toEqual(expect.arrayContaining(expected.map((SecretId) => ({ SecretId }))));
    const container = await runtime.getContainer();
    expect(container.config.sessionSecret).toBe(VALUES[ARN('session-secret')]);
    expect(container.config.supabaseJwtSecret).toBe(VALUES[ARN('supabase-jwt')]);
    expect(container.config.localAuth).toBe(false);
    expect(container.config.dbPoolMax).toBe(2);
    expect(container.db.kind).toBe(savedEnv.DATABASE_URL ? 'pg' : 'pglite');

    // A new execution environment (cold start) reads them again. (On PGlite each cold start re-creates and migrates
    // an in-memory database, ~10 s: only with a server.)
    if (!savedEnv.DATABASE_URL) return;
    await runtime.resetForTests();
    send.mockClear();
    expect((await handler(v2Event('GET', '/health/live'), lambdaContext)).statusCode).toBe(200);
    expect(send).toHaveBeenCalledTimes(expected.length);
  }, 60_000);
});
