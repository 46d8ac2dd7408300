/**
 * Issue 20, point 7, and issue 21 ("Also"): the kiosk PIN lockout under a burst. The attempt is reserved before the
 * PIN is checked, so a burst of parallel wrong PINs gets at most PIN_MAX_FAILURES PINs checked; the lock lives in
 * the database, so an emptied cache (a Redis restarted without persistence) keeps it; and a burst writes a bounded
 * number of audit rows, not one per attempt. On the in-process cache and on a private redis-server of this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { PIN_MAX_FAILURES } from '../../src/modules/kiosk/kiosks.service.js';
import { auditActions, newCentre } from '../factories/index.js';
import { SERVERS_ONLY } from '../helpers/engines.js';
import { HAS_REDIS_SERVER, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startServer, type CacheKind, type TestServer } from '../helpers/server.js';

// In .ci/run's run with the servers (SERVERS_ONLY) the in-process cache is left to the embedded run.
const CACHES: CacheKind[] = HAS_REDIS_SERVER ? (SERVERS_ONLY ? ['redis'] : ['memory', 'redis']) : ['memory'];
const BURST = 50;

function kioskClient(url: string, token: string) {
  return async (path: string, body: unknown) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

for (const cache of CACHES) {
  describe(`kiosk PIN lockout under a burst: ${cache === 'redis' ? 'real Redis' : 'in-process cache'}`, () => {
    let redis: PrivateRedis | undefined;
    let srv: TestServer;
    const flush = async () => {
      if (redis) await redis.flush();
      else (srv.container.cache as MemoryCache).clear();
    };
    beforeAll(async () => {
      if (cache === 'redis') redis = await startPrivateRedis();
      srv = await startServer({ cache, redisUrl: redis?.url });
    }, 120_000);
    afterAll(async () => {
      await srv?.close();
      await redis?.stop();
    });

    async function kioskWithAdult() {
      const c = await newCentre(srv);
      const g = await c.fx.guardian({ firstName: 'Alex' });
      const pinRes = await c.owner.put(`/guardians/${g.id}/pin`);
      expect(pinRes.status).toBe(200);
      const kiosk = await c.owner.post('/kiosks', { name: 'Door' });
      expect(kiosk.status).toBe(201);
      const pin = pinRes.body.pin as string;
      const bad = pin === '000000' ? '000001' : '000000';
      return { ...c, pin, bad, call: kioskClient(srv.url, kiosk.body.token as string) };
    }

    it(`${BURST} parallel wrong PINs → at most ${PIN_MAX_FAILURES} 401s, the rest 429; the right PIN after them is refused; two audit rows`, async () => {
      const { owner, pin, bad, call } = await kioskWithAdult();
      const results = await Promise.all(Array.from({ length: BURST }, () => call('/kiosk/lookup', { pin: bad })));
      const statuses = results.map((r) => r.status);
      const checked = statuses.filter((s) => s === 401).length;
      expect(checked).toBeLessThanOrEqual(PIN_MAX_FAILURES);
      expect(checked).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 429).length).toBe(BURST - checked);
      const refused = await call('/kiosk/lookup', { pin });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Aggregated: the window's first wrong PIN and the lock (with its count), not one row per attempt.
      expect((await auditActions(owner, 'kiosk.pin_rejected')).length).toBe(1);
      const locked = await auditActions(owner, 'kiosk.locked');
      expect(locked.length).toBe(1);
      expect(locked[0].after.failures).toBe(PIN_MAX_FAILURES);
    });

    it('a right PIN inside a burst of wrong ones: at most five wrong PINs are checked; once locked, the right PIN is refused', async () => {
      const { pin, bad, call } = await kioskWithAdult();
      const bodies = Array.from({ length: 30 }, (_, i) => ({ pin: i === 12 ? pin : bad }));
      const results = await Promise.all(bodies.map((b) => call('/kiosk/lookup', b)));
      const statuses = results.map((r) => r.status);
      // The right PIN passes only when it is checked before the fifth wrong one (it gives its attempt back).
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(PIN_MAX_FAILURES);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
      expect(statuses.every((s) => s === 401 || s === 200 || s === 429)).toBe(true);
      expect((await call('/kiosk/lookup', { pin })).status).toBe(429);
    });

    it('right PINs do not use up the attempts: six adults in a row at a busy door all get in', async () => {
      const { pin, bad, call } = await kioskWithAdult();
      for (let i = 0; i < PIN_MAX_FAILURES - 1; i++) expect((await call('/kiosk/lookup', { pin: bad })).status).toBe(401);
      for (let i = 0; i < 6; i++) expect((await call('/kiosk/lookup', { pin })).status).toBe(200);
      expect((await call('/kiosk/lookup', { pin: bad })).status).toBe(401);
      expect((await call('/kiosk/lookup', { pin })).status).toBe(429);
    });

    it('an emptied cache (a Redis restarted without persistence) keeps the lock', async () => {
      const { pin, bad, call } = await kioskWithAdult();
      for (let i = 0; i < PIN_MAX_FAILURES; i++) expect((await call('/kiosk/lookup', { pin: bad })).status).toBe(401);
      await flush();
      const r = await call('/kiosk/lookup', { pin });
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('RATE_LIMITED');
    });
  });
}
