/**
 * A refresh racing a removal, suspension or demotion must never leave the member with the
 * old rights, and logout / a detected stolen refresh token must end every access token the sign-in ever minted —
 * whatever membership it was minted for. A short smoke over HTTP, on the in-process cache and on a real Redis (a private
 * redis-server of this test, so the machine's shared Redis is never touched): every interleaving of these races is
 * played deterministically at the service and the cache in tests/services/session-races.test.ts, and the soak (tens of
 * rounds with random offsets) is in the fault suite, tests/faults/session-races-soak.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Agent } from '../helpers/http.js';
import { RACE_LIMITS, sessionRaces } from '../helpers/session-races.js';
import { SERVERS_ONLY } from '../helpers/engines.js';
import { HAS_REDIS_SERVER, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startServer, uniqueEmail, type CacheKind, type TestServer } from '../helpers/server.js';

// In .ci/run's run with the servers (SERVERS_ONLY) the in-process cache is left to the embedded run.
const CACHES: CacheKind[] = HAS_REDIS_SERVER ? (SERVERS_ONLY ? ['redis'] : ['memory', 'redis']) : ['memory'];
const LIMITS = RACE_LIMITS;

for (const cache of CACHES) {
  sessionRaces(cache, { demotion: 3, suspension: 3, removal: 3, logout: 3 }, 60_000);

  describe(`stolen refresh token detected, ${cache === 'redis' ? 'real Redis' : 'in-process cache'}`, () => {
    let redis: PrivateRedis | undefined;
    let srv: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => {
      if (cache === 'redis') redis = await startPrivateRedis();
      srv = await startServer({ cache, redisUrl: redis?.url, clock, env: LIMITS });
    });
    afterAll(async () => {
      await srv?.close();
      await redis?.stop();
    });

    it('reuse detection ends every token of the family, the ones minted for another membership included (3 rounds)', async () => {
      const leaks: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = await srv.signIn(uniqueEmail('stolen'));
        const thief = a.clone(); // holds the first refresh token
        const a1 = a.clone();
        expect((await a.post('/auth/refresh')).status).toBe(200);
        const a2 = a.clone();
        expect((await a.post('/tenants', { name: `Round ${i}`, timezone: 'UTC' })).status).toBe(201);
        const c1 = a.clone();
        expect((await c1.get('/students')).status).toBe(200);
        clock.advance(11_000); // past the two-tab grace window
        expect((await thief.post('/auth/refresh')).status).toBe(401);
        for (const [name, agent] of [['A1', a1], ['A2', a2], ['C1', c1]] as [string, Agent][])
          if ((await agent.get('/me/context')).status !== 401) leaks.push(`${i}:${name}`);
        expect((await a.post('/auth/refresh')).status).toBe(401);
      }
      expect(leaks).toEqual([]);
    }, 60_000);

    it('POST /tenants and POST /auth/switch leave no older token of the family alive', async () => {
      const a = await srv.signIn(uniqueEmail('switcher'));
      const a1 = a.clone();
      expect((await a.post('/auth/refresh')).status).toBe(200);
      const a2 = a.clone();
      const t1 = await a.post('/tenants', { name: 'One', timezone: 'UTC' });
      const c1 = a.clone();
      expect((await a1.get('/me/context')).status).toBe(401);
      expect((await a2.get('/me/context')).status).toBe(401);
      expect((await a.post('/tenants', { name: 'Two', timezone: 'UTC' })).status).toBe(201);
      const c2 = a.clone();
      expect((await c1.get('/me/context')).status).toBe(401);
      expect((await a.post('/auth/switch', { membershipId: t1.body.membership.id })).status).toBe(200);
      expect((await c2.get('/me/context')).status).toBe(401);
      expect((await a.get('/me/context')).body.tenant.name).toBe('One');
      // Refresh after the switch (same instant on this stopped clock) still gives a working token.
      expect((await a.post('/auth/refresh')).status).toBe(200);
      expect((await a.get('/students')).status).toBe(200);
    });
  });
}
