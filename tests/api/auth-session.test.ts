import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CACHES, newTenant, startServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';

/** A clock stopped in the middle of a minute, so a per-minute rate window cannot roll over during a test. */
const midMinuteClock = () => new ManualClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000);

for (const cache of CACHES) {
  describe(`sessions with the ${cache} cache`, () => {
    let srv: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => {
      srv = await startServer({ cache, clock, env: { APP_ORIGINS: 'https://app.example.test' } });
    });
    afterAll(() => srv.close());

    it('exchange sets the three cookies with exactly the contract attributes', async () => {
      const a = srv.agent();
      const r = await a.post('/auth/exchange', { accessToken: await srv.token(uniqueEmail()) });
      expect(r.status).toBe(200);
      const byName = Object.fromEntries(r.setCookies.map((c) => [c.name, c.attributes]));
      expect(byName['__Host-session']).toMatchObject({ httponly: true, secure: true, samesite: 'Lax', path: '/' });
      expect(byName['__Secure-refresh']).toMatchObject({ httponly: true, secure: true, samesite: 'Strict', path: '/auth' });
      expect(byName['__Host-csrf']).toMatchObject({ secure: true, samesite: 'Lax', path: '/' });
      expect(byName['__Host-csrf']!.httponly).toBeUndefined();
      expect(byName['__Host-session']!.domain).toBeUndefined();
      expect(Number(byName['__Host-session']!['max-age'])).toBeLessThanOrEqual(900);
      expect(r.body.csrfToken).toBe(a.cookie('__Host-csrf'));
      expect(r.headers.get('cache-control')).toBe('no-store');
      // The access token carries a jti and lives at most 15 minutes.
      const payload = JSON.parse(Buffer.from(a.cookie('__Host-session')!.split('.')[1]!, 'base64url').toString());
      expect(payload.jti).toBeTruthy();
      expect(payload.exp - payload.iat).toBeLessThanOrEqual(900);
    });

    it('refuses an exchange from a foreign Origin, allows APP_ORIGINS and no Origin', async () => {
      const token = await srv.token(uniqueEmail());
      const evil = await srv.agent().post('/auth/exchange', { accessToken: token }, { origin: 'https://evil.example' });
      expect(evil.status).toBe(403);
      expect(evil.body.error.code).toBe('FORBIDDEN');
      expect(evil.setCookies).toHaveLength(0);
      expect((await srv.agent().post('/auth/exchange', { accessToken: token }, { origin: 'https://app.example.test' })).status).toBe(200);
      expect((await srv.agent().post('/auth/exchange', { accessToken: token }, { origin: srv.url })).status).toBe(200);
    });

    it('CSRF: missing, wrong, or from another session → 403 CSRF_FAILED', async () => {
      const { owner } = await newTenant(srv);
      const other = await srv.signIn(uniqueEmail());
      const body = { name: 'X', timezone: 'UTC' };
      expect((await owner.post('/tenants', body, { 'x-csrf-token': '' })).body.error.code).toBe('CSRF_FAILED');
      owner.csrf = false;
      const missing = await owner.post('/tenants', body);
      expect(missing.status).toBe(403);
      expect(missing.body.error.code).toBe('CSRF_FAILED');
      owner.csrf = true;
      expect((await owner.post('/tenants', body, { 'x-csrf-token': 'abc.def' })).body.error.code).toBe('CSRF_FAILED');
      // Another session's (valid) token, sent as both header and cookie, is not bound to this session.
      const foreign = other.cookie('__Host-csrf')!;
      const a2 = owner.clone();
      a2.cookies.set('__Host-csrf', { ...a2.cookies.get('__Host-csrf')!, value: foreign });
      const cross = await a2.post('/tenants', body, { 'x-csrf-token': foreign });
      expect(cross.status).toBe(403);
      expect(cross.body.error.code).toBe('CSRF_FAILED');
      // GET needs none.
      expect((await owner.get('/me/context')).status).toBe(200);
    });

    it('refresh rotates all three cookies; /me/context works with the new session', async () => {
      const a = await srv.signIn(uniqueEmail());
      const before = { s: a.cookie('__Host-session'), r: a.cookie('__Secure-refresh'), c: a.cookie('__Host-csrf') };
      const r = await a.post('/auth/refresh');
      expect(r.status, r.text).toBe(200);
      expect(a.cookie('__Host-session')).not.toBe(before.s);
      expect(a.cookie('__Secure-refresh')).not.toBe(before.r);
      expect(a.cookie('__Host-csrf')).not.toBe(before.c);
      expect(r.body.csrfToken).toBe(a.cookie('__Host-csrf'));
      expect((await a.get('/me/context')).status).toBe(200);
    });

    it('refresh without a refresh cookie → 401 UNAUTHENTICATED; without CSRF → 403', async () => {
      const r = await srv.agent().post('/auth/refresh');
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
      const a = await srv.signIn(uniqueEmail());
      a.csrf = false;
      expect((await a.post('/auth/refresh')).body.error.code).toBe('CSRF_FAILED');
    });

    it('two tabs refreshing at once both get a valid session', async () => {
      const a = await srv.signIn(uniqueEmail());
      const b = a.clone();
      const [ra, rb] = await Promise.all([a.post('/auth/refresh'), b.post('/auth/refresh')]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      expect((await a.get('/me/context')).status).toBe(200);
      expect((await b.get('/me/context')).status).toBe(200);
      // Both tabs can keep refreshing afterwards.
      expect((await a.post('/auth/refresh')).status).toBe(200);
      expect((await b.post('/auth/refresh')).status).toBe(200);
    });

    it('the just-rotated token within the grace window still works; later it revokes the whole family', async () => {
      const a = await srv.signIn(uniqueEmail());
      const stale = a.clone();
      expect((await a.post('/auth/refresh')).status).toBe(200);
      clock.advance(5_000);
      const inGrace = stale.clone();
      expect((await inGrace.post('/auth/refresh')).status).toBe(200);
      clock.advance(15_000);
      const reuse = await stale.post('/auth/refresh');
      expect(reuse.status).toBe(401);
      // Every token of the family stops working: the current refresh token and the live access tokens.
      expect((await a.post('/auth/refresh')).status).toBe(401);
      expect((await a.get('/me/context')).status).toBe(401);
      expect((await inGrace.get('/me/context')).status).toBe(401);
    });

    it('logout → 204, clears cookies, and the old access token is refused at once', async () => {
      const a = await srv.signIn(uniqueEmail());
      const copy = a.clone();
      const r = await a.post('/auth/logout');
      expect(r.status).toBe(204);
      const cleared = Object.fromEntries(r.setCookies.map((c) => [c.name, c]));
      for (const n of ['__Host-session', '__Secure-refresh', '__Host-csrf']) expect(cleared[n]!.attributes['max-age']).toBe('0');
      const me = await copy.get('/me/context');
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('UNAUTHENTICATED');
      expect((await copy.post('/auth/refresh')).status).toBe(401);
    });

    it('logout without a session is still 204', async () => {
      expect((await srv.agent().post('/auth/logout')).status).toBe(204);
    });

    it('an expired access token is 401; refresh brings the session back', async () => {
      const a = await srv.signIn(uniqueEmail());
      clock.advance(16 * 60_000);
      expect((await a.get('/me/context')).status).toBe(401);
      expect((await a.post('/auth/refresh')).status).toBe(200);
      expect((await a.get('/me/context')).status).toBe(200);
    });

    it('switch to another of my memberships → new cookies; someone else’s → 404', async () => {
      const t1 = await newTenant(srv, { name: 'One' });
      const t2res = await t1.owner.post('/tenants', { name: 'Two', timezone: 'UTC' });
      expect(t2res.status).toBe(201);
      const ctx = await t1.owner.get('/me/context');
      expect(ctx.body.tenant.name).toBe('Two');
      expect(ctx.body.memberships).toHaveLength(2);
      const oldSession = t1.owner.clone();
      const sw = await t1.owner.post('/auth/switch', { membershipId: t1.membership.id });
      expect(sw.status, sw.text).toBe(200);
      expect(sw.setCookies.map((c) => c.name)).toEqual(expect.arrayContaining(['__Host-session', '__Host-csrf']));
      expect((await t1.owner.get('/me/context')).body.tenant.name).toBe('One');
      // The token minted for the previous membership stops working.
      expect((await oldSession.get('/me/context')).status).toBe(401);
      const stranger = await newTenant(srv);
      const r = await t1.owner.post('/auth/switch', { membershipId: stranger.membership.id });
      expect(r.status).toBe(404);
      expect((await t1.owner.post('/auth/switch', { membershipId: 'nope' })).status).toBe(404);
      // After a refresh the switched membership stays active.
      expect((await t1.owner.post('/auth/refresh')).body.activeMembershipId).toBe(t1.membership.id);
    });

    it('/me/context describes the active membership', async () => {
      const { owner, tenant } = await newTenant(srv);
      const r = await owner.get('/me/context');
      expect(r.body).toMatchObject({ tenant: { id: tenant.id }, roles: ['owner'], entitlements: ['messaging', 'reports', 'imports', 'billing'] });
      expect(r.body.permissions).toContain('members:manage');
      expect(r.body.menu.map((m: any) => m.id)).toContain('settings');
      expect(r.body.csrfToken).toBe(owner.cookie('__Host-csrf'));
      expect(r.headers.get('cache-control')).toBe('no-store');
    });
  });
}

describe('rate limits', () => {
  const srv = useServer({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '5', RATE_LIMIT_PER_MINUTE: '8' }, cache: 'memory', clock: midMinuteClock() });

  it('/auth/* per IP → 429 RATE_LIMITED with Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await srv.agent().post('/auth/logout');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5).every((s) => s === 204)).toBe(true);
    expect(last!.status).toBe(429);
    expect(last!.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('per-member rate limit', () => {
  const srv = useServer({ env: { RATE_LIMIT_PER_MINUTE: '5' }, cache: 'memory', clock: midMinuteClock() });
  it('→ 429 after the limit', async () => {
    const a = await srv.signIn(uniqueEmail());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await a.get('/me/context')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});

describe('/me/context hands out a CSRF token bound to the session', () => {
  const srv = useServer();
  it('when the page lost its CSRF cookie, a fresh one works for unsafe requests', async () => {
    const a = await srv.signIn(uniqueEmail());
    a.cookies.delete('__Host-csrf');
    const r = await a.get('/me/context');
    expect(r.body.csrfToken).toBeTruthy();
    expect(a.cookie('__Host-csrf')).toBe(r.body.csrfToken);
    expect((await a.post('/tenants', { name: 'After', timezone: 'UTC' })).status).toBe(201);
  });
});

describe('per-account limit on /auth/*', () => {
  const srv = useServer({ env: { RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: '3' }, cache: 'memory', clock: midMinuteClock() });
  it('one account signing in again and again → 429; another account is unaffected', async () => {
    const email = uniqueEmail();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await srv.agent().post('/auth/exchange', { accessToken: await srv.token(email) })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await srv.agent().post('/auth/exchange', { accessToken: await srv.token(uniqueEmail()) })).status).toBe(200);
  });
});
