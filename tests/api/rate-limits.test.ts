/**
 * Issue 27, "Rate limits by a library": every counted limit goes through rate-limiter-flexible (RateLimiterRedis on the
 * cache's ioredis client, RateLimiterMemory in process) under one policy table, as a sliding window; 429 RATE_LIMITED
 * answers Retry-After and the IETF RateLimit / RateLimit-Policy headers, and counted answers carry them too.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../../src/adapters/cache/cache.js';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { createRateLimiter } from '../../src/adapters/cache/rate-limiter.js';
import { ManualClock } from '../../src/core/clock.js';
import { AppError } from '../../src/core/errors.js';
import { rateLimitPolicies, type RateLimitResult } from '../../src/core/rate-limits.js';
import { CACHES, startServer, testCache, uniqueEmail, type TestServer } from '../helpers/server.js';

const numbers = { rateLimitPerMinute: 5, rateLimitAuthPerMinute: 300, rateLimitAuthPerUserPerMinute: 3, rateLimitTenantsPerAccountPerDay: 2, rateLimitInvitationsPerTenantPerHour: 4 };
/** A point `secondsIn` seconds into a minute (the windows are aligned to the clock). */
const minuteAt = (secondsIn: number) => (Math.floor(Date.now() / 60_000) + 1) * 60_000 + secondsIn * 1000;

for (const kind of CACHES) {
  describe(`the limiter on the ${kind === 'redis' ? 'Redis' : 'in-process'} store`, () => {
    const cache = testCache(kind);
    const clock = new ManualClock();
    const limiter = createRateLimiter(cache, rateLimitPolicies(numbers), () => clock.now().getTime());
    afterAll(() => cache.close());
    const run = async (n: number, key: string) => {
      const out: RateLimitResult[] = [];
      for (let i = 0; i < n; i++) out.push(await limiter.check('per-minute', key));
      return out;
    };

    it('allows the limit, then refuses with the seconds until one more fits; the headers name the policy', async () => {
      clock.set(new Date(minuteAt(18)));
      const key = randomUUID();
      const res = await run(6, key);
      expect(res.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
      expect(res.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      expect(res[0]).toMatchObject({ policy: 'per-minute', limit: 5, windowSeconds: 60, resetSeconds: 42 });
      // Nothing from the previous window: one more fits when this one turns and its count slides partly out.
      expect(res[5]!.resetSeconds).toBeGreaterThanOrEqual(42);
      const err = await limiter.consume('per-minute', key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('RATE_LIMITED');
      expect((err as AppError).headers).toMatchObject({ 'RateLimit-Policy': '"per-minute";q=5;w=60', RateLimit: `"per-minute";r=0;t=${res[5]!.resetSeconds}` });
      // A refused event is not counted: waiting the Retry-After is enough.
      clock.advance(Number((err as AppError).headers!['Retry-After']) * 1000);
      expect((await limiter.check('per-minute', key)).allowed).toBe(true);
    });

    it('a burst at a window edge is not 2×: the limit in the last second of a window leaves nothing in the first of the next', async () => {
      const key = randomUUID();
      clock.set(new Date(minuteAt(59.5)));
      const before = await run(5, key);
      clock.set(new Date(minuteAt(60.5)));
      const after = await run(5, key);
      expect(before.every((r) => r.allowed)).toBe(true);
      // A fixed window would allow all five again here (10 in one second).
      expect(after.filter((r) => r.allowed).length).toBe(0);
      // A whole window after the burst the quota is whole again.
      clock.set(new Date(minuteAt(120)));
      expect((await run(5, key)).every((r) => r.allowed)).toBe(true);
    });

    it('counts per key and per policy', async () => {
      clock.set(new Date(minuteAt(10)));
      const a = randomUUID();
      await run(5, a);
      expect((await limiter.check('per-minute', a)).allowed).toBe(false);
      expect((await limiter.check('per-minute', randomUUID())).allowed).toBe(true);
      expect((await limiter.check('auth-account', a)).allowed).toBe(true);
    });

    it('the previous window counts in proportion to what still overlaps', async () => {
      const key = randomUUID();
      clock.set(new Date(minuteAt(30)));
      await run(4, key);
      // Half-way through the next window: 4 × 0.5 = 2 still count, so 3 more fit.
      clock.set(new Date(minuteAt(90)));
      expect((await run(4, key)).map((r) => r.allowed)).toEqual([true, true, true, false]);
    });
  });
}

describe('the limiter when Redis does not answer', () => {
  it('fails closed with the cache\'s 503 (CacheUnavailableError); a policy marked open lets the event through', async () => {
    const cache = new RedisCache({ url: 'redis://127.0.0.1:1/0', onError: () => undefined });
    const limiter = createRateLimiter(cache, rateLimitPolicies(numbers));
    try {
      await expect(limiter.consume('per-minute', 'k')).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(limiter.consume('auth-ip', 'k')).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(await limiter.consume('webhook', 'k')).toMatchObject({ allowed: true });
    } finally {
      await cache.close();
    }
  });
});

for (const kind of CACHES) {
  describe(`RateLimit headers over HTTP (${kind})`, () => {
    let srv: TestServer;
    const clock = new ManualClock(minuteAt(20));
    beforeAll(async () => {
      // A Redis database of its own: the per-IP counter is keyed by 127.0.0.1, which every other test file's sign-ins
      // share on the run's Redis (a suite that signs in 300 times a minute used it up, and this test got 429s).
      let redisUrl: string | undefined;
      if (kind === 'redis') {
        const u = new URL(process.env.REDIS_URL!);
        u.pathname = '/13';
        redisUrl = u.toString();
        const r = new Redis(redisUrl);
        await r.flushdb();
        r.disconnect();
      }
      srv = await startServer({ cache: kind, redisUrl, clock, env: { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_AUTH_PER_MINUTE: '300' } });
    }, 120_000);
    afterAll(() => srv?.close());

    it('a signed-in request answers RateLimit-Policy and RateLimit; past the limit 429 RATE_LIMITED with Retry-After beside them', async () => {
      clock.set(new Date(minuteAt(20)));
      const a = await srv.signIn(uniqueEmail());
      const ok = await a.get('/me/context');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('"per-minute";q=5;w=60');
      expect(ok.headers.get('ratelimit')).toBe('"per-minute";r=4;t=40');
      const rest = [];
      for (let i = 0; i < 5; i++) rest.push(await a.get('/me/context'));
      expect(rest.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
      const limited = rest[4]!;
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      expect(limited.body.error.requestId).toBeTruthy();
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(40);
      expect(limited.headers.get('ratelimit')).toBe(`"per-minute";r=0;t=${retryAfter}`);
      expect(limited.headers.get('ratelimit-policy')).toBe('"per-minute";q=5;w=60');
      // Another member is counted apart.
      expect((await (await srv.signIn(uniqueEmail())).get('/me/context')).status).toBe(200);
      // After Retry-After the member is let in again.
      clock.advance(retryAfter * 1000);
      expect((await a.get('/me/context')).status).toBe(200);
    });

    it('/auth/* answers the per-IP policy', async () => {
      const r = await srv.agent().post('/auth/exchange', { accessToken: await srv.token(uniqueEmail()) });
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-policy')).toBe('"auth-ip";q=300;w=60');
      expect(r.headers.get('ratelimit')).toMatch(/^"auth-ip";r=\d+;t=\d+$/);
    });
  });
}
