/**
 * Issue 10, item 2: revocation must not live only in the cache. Revoke, empty the cache (a Redis restart without
 * persistence, a fail-over, a new process), retry → still 401. The Redis variant flushes a private redis-server of
 * this test, never the machine's shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { ManualClock } from '../../src/core/clock.js';
import { SERVERS_ONLY } from '../helpers/engines.js';
import { HAS_REDIS_SERVER, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { newTenant, startServer, uniqueEmail, type CacheKind, type TestServer } from '../helpers/server.js';

// In .ci/run's run with the servers (SERVERS_ONLY) the in-process cache is left to the embedded run.
const CACHES: CacheKind[] = HAS_REDIS_SERVER ? (SERVERS_ONLY ? ['redis'] : ['memory', 'redis']) : ['memory'];

for (const cache of CACHES) {
  describe(`revocation survives an empty cache: ${cache === 'redis' ? 'real Redis (flushed)' : 'in-process cache (cleared)'}`, () => {
    let redis: PrivateRedis | undefined;
    let srv: TestServer;
    const clock = new ManualClock();
    const flush = async () => {
      if (redis) await redis.flush();
      else (srv.container.cache as MemoryCache).clear();
    };
    beforeAll(async () => {
      if (cache === 'redis') redis = await startPrivateRedis();
      srv = await startServer({ cache, redisUrl: redis?.url, clock });
    }, 30_000);
    afterAll(async () => {
      await srv?.close();
      await redis?.stop();
    });

    it('logout, flush, retry → 401 (for the token of another membership of the same sign-in too)', async () => {
      const a = await srv.signIn(uniqueEmail());
      const a1 = a.clone();
      expect((await a.post('/tenants', { name: 'Flushed', timezone: 'UTC' })).status).toBe(201);
      const c1 = a.clone();
      expect((await c1.get('/students')).status).toBe(200);
      expect((await a.post('/auth/logout')).status).toBe(204);
      await flush();
      expect((await c1.get('/students')).status).toBe(401);
      expect((await c1.get('/me/context')).status).toBe(401);
      expect((await a1.get('/me/context')).status).toBe(401);
    });

    it('stolen refresh token detected, flush, retry → 401', async () => {
      const { owner } = await newTenant(srv);
      const thief = owner.clone();
      expect((await owner.post('/auth/refresh')).status).toBe(200);
      const live = owner.clone();
      clock.advance(11_000);
      expect((await thief.post('/auth/refresh')).status).toBe(401);
      await flush();
      expect((await live.get('/students')).status).toBe(401);
    });

    it('switch, flush, retry the token of the previous centre → 401; the new one works', async () => {
      const first = await newTenant(srv);
      const second = await first.owner.post('/tenants', { name: 'Second', timezone: 'UTC' });
      expect(second.status).toBe(201);
      const inSecond = first.owner.clone();
      expect((await first.owner.post('/auth/switch', { membershipId: first.membership.id })).status).toBe(200);
      await flush();
      expect((await inSecond.get('/students')).status).toBe(401);
      expect((await first.owner.get('/students')).status).toBe(200);
    });

    it('a live session keeps working after a flush (the database says it is not revoked)', async () => {
      const { owner } = await newTenant(srv);
      await flush();
      expect((await owner.get('/students')).status).toBe(200);
    });
  });
}
