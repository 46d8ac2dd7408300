import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/core/security/tokens.js';

const SECRET = 'a-session-secret-of-at-least-32-bytes!!';
const claims = { sub: 'u1', email: 'a@b.c', sid: 's1', mid: 'm1', tid: 't1', roles: ['owner'], ent: ['reports'], ev: 3 };
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('our access tokens', () => {
  const svc = new TokenService(SECRET, 600);
  const now = Date.now();

  it('round-trips the claims', async () => {
    const { token, jti, exp } = await svc.signAccess(claims, now);
    const c = svc.verifyAccess(token, now + 1000)!;
    expect(c).toMatchObject({ ...claims, jti, exp });
  });

  it('refuses expiry, another secret, tampering, alg none, a missing typ and non-canonical signatures', async () => {
    const { token } = await svc.signAccess(claims, now);
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(svc.verifyAccess(token, now + 601_000)).toBeNull();
    expect(new TokenService('another-secret-that-is-long-enough-000', 600).verifyAccess(token, now)).toBeNull();
    expect(svc.verifyAccess(`${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['owner', 'admin'] })}.${s}`, now)).toBeNull();
    expect(svc.verifyAccess(`${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`, now)).toBeNull();
    expect(svc.verifyAccess(`${h}.${p}.${s}=`, now)).toBeNull();
    expect(svc.verifyAccess(`${h}.${p}.${s}.x`, now)).toBeNull();
    expect(svc.verifyAccess('garbage', now)).toBeNull();
    // A correctly signed token of another type (e.g. a Supabase-shaped JWT signed with the same bytes) is refused.
    const raw = (await import('node:crypto')).createHash('sha256').update(`access|${SECRET}`).digest();
    const untyped = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer('daycare-api').setAudience('daycare-api').setJti('j').setExpirationTime('5m').sign(raw);
    expect(svc.verifyAccess(untyped, now)).toBeNull();
    const wrongAud = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('daycare-api').setAudience('authenticated').setJti('j').setExpirationTime('5m').sign(raw);
    expect(svc.verifyAccess(wrongAud, now)).toBeNull();
  });

  it('CSRF tokens are bound to the session', () => {
    const t = svc.csrfFor('s1');
    expect(svc.verifyCsrf('s1', t, t)).toBe(true);
    expect(svc.verifyCsrf('s2', t, t)).toBe(false);
    expect(svc.verifyCsrf('s1', t, svc.csrfFor('s1'))).toBe(false);
    expect(svc.verifyCsrf('s1', undefined, t)).toBe(false);
  });
});
