import { Redis, Cluster } from 'ioredis';
import type { Cache } from './cache.js';

export interface RedisCacheOptions {
  url: string;
  cluster?: boolean;
  onError?: (err: Error) => void;
}

/** KEYS[1] = key, ARGV = value, ttl: stores the value only when it is greater than the stored one; returns what is stored. */
const SET_IF_GREATER = `
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) >= tonumber(ARGV[1]) then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]`;

/** Redis (or Valkey) through ioredis: TLS with `rediss://`, cluster mode for ElastiCache Serverless. */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly client: Redis | Cluster;

  constructor(opts: RedisCacheOptions) {
    const u = new URL(opts.url);
    const tls = u.protocol === 'rediss:' ? {} : undefined;
    const common = { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5000, lazyConnect: false };
    if (opts.cluster) {
      this.client = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
        dnsLookup: (address, cb) => cb(null, address),
        slotsRefreshTimeout: 2000,
        redisOptions: {
          ...common,
          tls,
          username: u.username ? decodeURIComponent(u.username) : undefined,
          password: u.password ? decodeURIComponent(u.password) : undefined,
        },
      });
    } else {
      this.client = new Redis(opts.url, { ...common, tls });
    }
    this.client.on('error', (err: Error) => opts.onError?.(err));
  }

  async get(key: string) {
    return this.client.get(key);
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    if (ttlSeconds) await this.client.set(key, value, 'EX', ttlSeconds);
    else await this.client.set(key, value);
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return (await this.client.set(key, value, 'EX', ttlSeconds, 'NX')) === 'OK';
  }
  async setIfGreater(key: string, value: number, ttlSeconds: number) {
    return Number(await this.client.eval(SET_IF_GREATER, 1, key, String(value), String(ttlSeconds)));
  }
  async incr(key: string, ttlSeconds?: number) {
    const p = this.client.pipeline().incr(key);
    if (ttlSeconds) p.expire(key, ttlSeconds, 'NX');
    const res = await p.exec();
    return Number(res![0]![1]);
  }
  async del(...keys: string[]) {
    if (!keys.length) return;
    // One DEL per key: keys may live in different cluster slots.
    const p = this.client.pipeline();
    for (const k of keys) p.del(k);
    await p.exec();
  }
  async readAndCount(keys: string[], counterKey: string | null, ttlSeconds: number) {
    // The keys share one hash tag (see services/cache-keys.ts), so one MGET serves them even on a cluster.
    const p = this.client.pipeline();
    if (keys.length) p.mget(...keys);
    if (counterKey) p.incr(counterKey).expire(counterKey, ttlSeconds, 'NX');
    const res = (await p.exec())!;
    for (const [err] of res) if (err) throw err;
    const values = keys.length ? ((res[0]![1] as (string | null)[]) ?? []).map((v) => v ?? null) : [];
    return { values, count: counterKey ? Number(res[keys.length ? 1 : 0]![1]) : 0 };
  }
  async ping(timeoutMs = 2000) {
    let t: NodeJS.Timeout;
    await Promise.race([
      this.client.ping().finally(() => clearTimeout(t)),
      new Promise((_, rej) => (t = setTimeout(() => rej(new Error('redis ping timed out')), timeoutMs))),
    ]);
  }
  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
