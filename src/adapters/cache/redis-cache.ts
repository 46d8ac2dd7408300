import { createHash, randomBytes } from 'node:crypto';
import { Redis, Cluster } from 'ioredis';
import { CacheUnavailableError, type Cache } from './cache.js';

/** A command waits at most this long (an unreachable or hung Redis becomes a fast 503, not a 10–20 s wait). */
const COMMAND_TIMEOUT_MS = 800;

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
  /** The database index of the URL (`redis://host/3`); Redis itself would fall back to 0 when it is out of range. */
  readonly db: number;
  private wrongDb: Error | undefined;
  private everReady = false;
  private waitedOnce = false;
  /** See Cache.generation: the server's run_id (a hash of the masters' on a cluster); null while unknown. */
  private gen: string | null = null;
  /** Bumped by every connection loss, so an answer about an older connection is not taken for the current one. */
  private genSeq = 0;
  private closed = false;

  constructor(opts: RedisCacheOptions) {
    const u = new URL(opts.url);
    const tls = u.protocol === 'rediss:' ? {} : undefined;
    this.db = redisDbIndex(opts.url);
    // Fail fast: no offline queue (a command while disconnected fails at once), a command timeout, and reconnection
    // attempts at most a second apart, so the service recovers by itself as soon as Redis is back.
    const common = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 1000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      lazyConnect: false,
    };
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
      this.client = new Redis(opts.url, { ...common, tls, db: this.db });
    }
    this.client.once('ready', () => (this.everReady = true));
    // A restart, a restore from an older snapshot and a fail-over all drop the connection first: forget the
    // generation at once (synchronously, before any command can go out on a new connection), learn it again when ready.
    const lost = () => {
      this.gen = null;
      this.genSeq++;
    };
    if (this.client instanceof Cluster) {
      this.client.on('+node', (node: Redis) => {
        lost();
        node.on('close', lost);
        node.on('ready', () => void this.learnGeneration());
      });
      this.client.on('-node', () => {
        lost();
        void this.learnGeneration();
      });
    } else {
      this.client.on('close', lost);
    }
    this.client.on('ready', () => void this.learnGeneration());
    this.client.on('error', (err: Error) => {
      if (/DB index is out of range/i.test(err.message)) this.wrongDb = new Error(`REDIS_URL names database ${this.db}, which this Redis server does not have`);
      opts.onError?.(err);
    });
  }

  generation() {
    return this.gen;
  }

  /** The ioredis client, for rate-limiter-flexible's RateLimiterRedis (adapters/cache/rate-limiter.ts); call it through guard(). */
  get rawClient(): Redis | Cluster {
    return this.client;
  }
  /** Runs commands on rawClient with this cache's failure rules (first connection awaited once, errors → CacheUnavailableError). */
  guard<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  /**
   * Asks the server(s) for their `run_id` (INFO server): it changes with every start, so a Redis that came back
   * empty or from an older RDB file has a new one. Where INFO is refused, an epoch key written when missing stands
   * in (it catches an empty restart, not a restore). Until an answer for the current connection arrives, the
   * generation stays null and the callers ask the database.
   */
  private async learnGeneration(): Promise<void> {
    const seq = this.genSeq;
    try {
      const client = this.client;
      const info = (n: Redis) => n.info('server').catch((e: Error) => (/NOPERM|unknown command/i.test(e.message) ? '' : Promise.reject(e)));
      const infos = await Promise.all(client instanceof Cluster ? client.nodes('master').map(info) : [info(client)]);
      let ids = infos.map((i) => /run_id:([0-9a-f]+)/.exec(i)?.[1] ?? '').filter(Boolean);
      if (ids.length !== infos.length || ids.length === 0) {
        await client.set('cache:epoch', randomBytes(8).toString('hex'), 'NX');
        ids = [`epoch:${await client.get('cache:epoch')}`];
      }
      if (seq !== this.genSeq) return; // the connection was lost meanwhile: its 'ready' asks again
      this.gen = createHash('sha256').update(ids.sort().join(',')).digest('hex').slice(0, 12);
    } catch {
      if (seq === this.genSeq && !this.closed) setTimeout(() => void (seq === this.genSeq && this.learnGeneration()), 1000).unref();
    }
  }

  /** Every command goes through here: a failure is a CacheUnavailableError (503 NOT_READY), never a hang or a 500. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.wrongDb) throw new CacheUnavailableError(this.wrongDb.message);
    // Right after start the first connection may still be on its way: wait for it once (bounded) rather than fail;
    // after that wait, an unreachable Redis fails every command at once.
    if (!this.everReady && !this.waitedOnce) {
      await this.firstReady(COMMAND_TIMEOUT_MS);
      this.waitedOnce = true;
    }
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CacheUnavailableError) throw err;
      throw new CacheUnavailableError(err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * Start-up: waits (bounded) for the first connection, and throws when the URL's database index does not exist on
   * the server. An unreachable Redis is not an error here: requests answer 503 until it is back.
   */
  async checkDatabase(timeoutMs = 1000) {
    if (this.client instanceof Cluster) return;
    const client = this.client;
    await this.firstReady(timeoutMs);
    if (client.status === 'ready' && this.db !== 0) {
      await client.select(this.db).catch((err: Error) => {
        if (/DB index is out of range/i.test(err.message)) this.wrongDb = new Error(`REDIS_URL names database ${this.db}, which this Redis server does not have`);
      });
    }
    if (this.wrongDb) throw this.wrongDb;
  }

  private firstReady(timeoutMs: number): Promise<void> {
    if (this.everReady || this.client.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.client.off('ready', done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.client.once('ready', done);
    });
  }

  async get(key: string) {
    return this.run(() => this.client.get(key));
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    await this.run(() => (ttlSeconds ? this.client.set(key, value, 'EX', ttlSeconds) : this.client.set(key, value)));
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return (await this.run(() => this.client.set(key, value, 'EX', ttlSeconds, 'NX'))) === 'OK';
  }
  async setIfGreater(key: string, value: number, ttlSeconds: number) {
    return Number(await this.run(() => this.client.eval(SET_IF_GREATER, 1, key, String(value), String(ttlSeconds))));
  }
  async incr(key: string, ttlSeconds?: number) {
    return this.run(async () => {
      const p = this.client.pipeline().incr(key);
      if (ttlSeconds) p.expire(key, ttlSeconds, 'NX');
      const res = await p.exec();
      if (res?.[0]?.[0]) throw res[0][0];
      return Number(res![0]![1]);
    });
  }
  async del(...keys: string[]) {
    if (!keys.length) return;
    await this.run(async () => {
      // One DEL per key: keys may live in different cluster slots.
      const p = this.client.pipeline();
      for (const k of keys) p.del(k);
      const res = await p.exec();
      for (const [err] of res ?? []) if (err) throw err;
    });
  }
  readAndCount(keys: string[], counterKey: string | null, ttlSeconds: number) {
    return this.run(() => this.readAndCountRaw(keys, counterKey, ttlSeconds));
  }
  private async readAndCountRaw(keys: string[], counterKey: string | null, ttlSeconds: number) {
    // The keys share one hash tag (see auth/cache-keys.ts), so one MGET serves them even on a cluster.
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
    await this.run(() =>
      Promise.race([
        this.client.ping().finally(() => clearTimeout(t)),
        new Promise((_, rej) => (t = setTimeout(() => rej(new Error('redis ping timed out')), timeoutMs))),
      ]),
    );
  }
  async close() {
    this.closed = true;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The database index of a Redis URL's path (`redis://host:6379/2` → 2); anything else there is a configuration error. */
export function redisDbIndex(url: string): number {
  const p = new URL(url).pathname.replace(/^\//, '');
  if (p === '') return 0;
  if (!/^\d{1,5}$/.test(p)) throw new Error('REDIS_URL must end in a database number (redis://host:6379/0)');
  return Number(p);
}
