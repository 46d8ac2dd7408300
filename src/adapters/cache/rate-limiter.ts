import type { RateLimiterAbstract } from 'rate-limiter-flexible';
// The two limiters this service uses, not the package's index (which loads every store's; see src/types/).
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRedis from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import { rateLimitExceeded, slidingWindow, type RateLimiter, type RateLimitPolicies, type RateLimitPolicyName, type RateLimitResult } from '../../core/rate-limits.js';
import { CacheUnavailableError, type Cache } from './cache.js';
import type { RedisCache } from './redis-cache.js';

/**
 * The rate limiter: rate-limiter-flexible's atomic counters (RateLimiterRedis on the cache's ioredis client — a Lua
 * INCR+TTL per event, shared by every process — or RateLimiterMemory with the in-process cache), one counter per
 * policy, key and fixed window. Each event counts in the current window and reads the previous one (two commands sent
 * together, no extra round trip); core/rate-limits.ts weighs them into a sliding window. A refused event is handed back
 * (reward), so a client that honours Retry-After gets in when it says. Store failures: 503 NOT_READY (fail closed, like
 * every other cache read) unless the policy says `open`.
 */
export function createRateLimiter(cache: Cache, policies: RateLimitPolicies, now: () => number = Date.now): RateLimiter {
  const redis = cache.kind === 'redis' ? (cache as RedisCache) : null;
  const limiters = new Map<RateLimitPolicyName, RateLimiterAbstract>();
  for (const [name, p] of Object.entries(policies) as [RateLimitPolicyName, RateLimitPolicies[RateLimitPolicyName]][]) {
    // A window's counter lives two windows: it is read as "the previous window" during the next one.
    const opts = { keyPrefix: `rl:${name}`, points: Number.MAX_SAFE_INTEGER, duration: p.windowSeconds * 2 };
    limiters.set(name, redis ? new RateLimiterRedis({ ...opts, storeClient: redis.rawClient }) : new RateLimiterMemory(opts));
  }
  const guard = <T>(fn: () => Promise<T>) => (redis ? redis.guard(fn) : fn());

  async function check(policy: RateLimitPolicyName, key: string): Promise<RateLimitResult> {
    const p = policies[policy];
    const limiter = limiters.get(policy)!;
    const t = now();
    const windowMs = p.windowSeconds * 1000;
    const window = Math.floor(t / windowMs);
    const elapsed = (t - window * windowMs) / windowMs;
    const base = { policy, limit: p.limit, windowSeconds: p.windowSeconds };
    let counts: [RateLimiterRes, RateLimiterRes | null];
    try {
      counts = await guard(() => Promise.all([limiter.consume(`${key}:${window}`, 1), limiter.get(`${key}:${window - 1}`)]).catch(storeError));
    } catch (err) {
      if (p.whenStoreDown === 'open') return { ...base, allowed: true, remaining: p.limit, resetSeconds: p.windowSeconds };
      throw err;
    }
    const [current, previous] = counts;
    const r = slidingWindow(p, previous?.consumedPoints ?? 0, current.consumedPoints, elapsed);
    if (!r.allowed) await guard(() => limiter.reward(`${key}:${window}`, 1).catch(storeError)).catch(() => undefined);
    return { ...base, ...r };
  }

  return {
    policies,
    check,
    async consume(policy, key) {
      const r = await check(policy, key);
      if (!r.allowed) throw rateLimitExceeded(r, policies[policy].message);
      return r;
    },
  };
}

/** A rejection from the store (not a RateLimiterRes: points are never exceeded, the policy decides) is the cache's outage. */
function storeError(err: unknown): never {
  if (err instanceof CacheUnavailableError) throw err;
  if (err instanceof RateLimiterRes) throw new CacheUnavailableError('unexpected rate-limiter answer');
  throw new CacheUnavailableError(err instanceof Error ? err.message : String(err));
}
