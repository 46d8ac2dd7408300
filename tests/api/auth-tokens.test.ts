import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { startFakeSupabase } from '../helpers/supabase.js';

const HS_SECRET = 'legacy-hs256-secret-that-is-long-enough-0123456789';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('Supabase token verification through POST /auth/exchange', () => {
  let supa: Awaited<ReturnType<typeof startFakeSupabase>>;
  let srv: TestServer;
  beforeAll(async () => {
    supa = await startFakeSupabase();
    srv = await startServer({ env: { SUPABASE_URL: supa.url, SUPABASE_JWT_SECRET: HS_SECRET } });
  });
  afterAll(async () => {
    await srv.close();
    await supa.close();
  });

  const exchange = (accessToken: unknown) => srv.agent().post('/auth/exchange', { accessToken });
  const hs = (claims: Record<string, unknown>, secret: string | Uint8Array = HS_SECRET) =>
    new SignJWT({ role: 'authenticated', session_id: 's-1', ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setIssuer(supa.issuer)
      .setAudience('authenticated')
      .setExpirationTime('1h')
      .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);

  it('accepts ES256 and RS256 tokens from the JWKS, and legacy HS256 with the secret', async () => {
    for (const token of [
      await supa.sign({ sub: 'u-es', email: 'es@example.test' }),
      await supa.sign({ sub: 'u-rs', email: 'rs@example.test' }, { alg: 'RS256' }),
      await hs({ sub: 'u-hs', email: 'hs@example.test' }),
    ]) {
      const r = await exchange(token);
      expect(r.status, r.text).toBe(200);
      expect(r.body.user.email).toMatch(/@example.test$/);
    }
  });

  it('fetches the JWKS once and caches it', async () => {
    const before = supa.jwksHits;
    for (let i = 0; i < 3; i++) expect((await exchange(await supa.sign({ sub: `u-c${i}`, email: `c${i}@example.test` }))).status).toBe(200);
    expect(supa.jwksHits - before).toBe(0);
  });

  const cases: [string, () => Promise<unknown>][] = [
    ['expired', () => supa.sign({ sub: 'x' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 })],
    ['not yet valid', () => supa.sign({ sub: 'x' }, { notBefore: Math.floor(Date.now() / 1000) + 3600 })],
    ['wrong issuer', () => supa.sign({ sub: 'x' }, { issuer: 'https://evil.example/auth/v1' })],
    ['wrong audience', () => supa.sign({ sub: 'x' }, { audience: 'anon' })],
    ['unknown kid', () => supa.sign({ sub: 'x' }, { kid: 'nope' })],
    ['signed by another key', () => supa.sign({ sub: 'x' }, { key: supa.otherKey })],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', role: 'authenticated', session_id: 's', aud: 'authenticated', iss: supa.issuer, exp: Math.floor(Date.now() / 1000) + 600 })}.`],
    [
      'HS256 signed with the public key',
      async () => {
        const header = b64({ alg: 'HS256', typ: 'JWT', kid: 'es-1' });
        const payload = b64({ sub: 'x', role: 'authenticated', session_id: 's', aud: 'authenticated', iss: supa.issuer, exp: Math.floor(Date.now() / 1000) + 600 });
        const sig = createHmac('sha256', JSON.stringify(supa.esPublicJwk)).update(`${header}.${payload}`).digest('base64url');
        return `${header}.${payload}.${sig}`;
      },
    ],
    ['anon key', () => hs({ role: 'anon', sub: undefined, session_id: undefined })],
    ['service-role key', () => hs({ role: 'service_role', sub: undefined, session_id: undefined })],
    ['anonymous user', () => supa.sign({ sub: 'x', is_anonymous: true })],
    ['missing sub', () => supa.sign({})],
    ['missing session_id', () => supa.sign({ sub: 'x', session_id: undefined })],
    ['role not authenticated', () => supa.sign({ sub: 'x', role: 'supabase_admin' })],
    ['HS256 with a wrong secret', () => hs({ sub: 'x' }, 'another-secret-that-is-long-enough-0123456789')],
    ['garbage', async () => 'not.a.jwt'],
    ['empty string', async () => ''],
    ['a number', async () => 42],
  ];
  it.each(cases)('%s → 401 INVALID_TOKEN (or 400 for a non-string)', async (name, make) => {
    const r = await exchange(await make());
    if (name === 'a number') {
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    } else {
      expect(r.status, r.text).toBe(401);
      expect(r.body.error.code).toBe('INVALID_TOKEN');
    }
    expect(r.setCookies).toHaveLength(0);
  });

  it('failed verifications do not grow the append-only audit log (an anonymous caller cannot fill it)', async () => {
    const { sql } = await import('drizzle-orm');
    const count = async () => {
      const rows: any = await srv.container.db.raw.execute(sql`select count(*)::int as n from audit_logs where tenant_id is null and actor_user_id is null`);
      return Number(rows.rows[0].n);
    };
    const before = await count();
    for (let i = 0; i < 30; i++) expect((await exchange(`not.a.jwt.${i}`)).status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('roles come from our database, never from the token metadata', async () => {
    const token = await supa.sign({ sub: 'u-meta', email: 'meta@example.test', user_metadata: { roles: ['owner'] }, app_metadata: { tenant: 'x' } });
    const r = await exchange(token);
    expect(r.status).toBe(200);
    expect(r.body.memberships).toEqual([]);
    expect(r.body.activeMembershipId).toBeNull();
  });
});
