import { randomBytes } from 'node:crypto';
import type { Cache } from './cache.js';

/** In-process cache for a single process (no REDIS_URL). Expired keys are dropped lazily and by a periodic sweep. */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly map = new Map<string, { v: string; exp: number }>();
  private readonly sweeper: NodeJS.Timeout;
  /** One per process: the map cannot go back in time, it only dies with the process (and clear() forgets all). */
  private readonly gen = randomBytes(4).toString('hex');

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private sweep() {
    const t = this.now();
    for (const [k, e] of this.map) if (e.exp <= t) this.map.delete(k);
  }

  private read(key: string): string | null {
    const e = this.map.get(key);
    if (!e) return null;
    if (e.exp <= this.now()) {
      this.map.delete(key);
      return null;
    }
    return e.v;
  }

  private exp(ttlSeconds?: number) {
    return ttlSeconds ? this.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY;
  }

  generation() {
    return this.gen;
  }
  async get(key: string) {
    return this.read(key);
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    this.map.set(key, { v: value, exp: this.exp(ttlSeconds) });
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    if (this.read(key) !== null) return false;
    this.map.set(key, { v: value, exp: this.exp(ttlSeconds) });
    return true;
  }
  async setIfGreater(key: string, value: number, ttlSeconds: number) {
    // Synchronous between the read and the write: nothing can interleave in one process.
    const cur = this.read(key);
    if (cur !== null && Number(cur) >= value) return Number(cur);
    this.map.set(key, { v: String(value), exp: this.exp(ttlSeconds) });
    return value;
  }
  async incr(key: string, ttlSeconds?: number) {
    return this.incrSync(key, ttlSeconds);
  }
  private incrSync(key: string, ttlSeconds?: number) {
    const cur = this.read(key);
    const n = (cur === null ? 0 : Number(cur)) + 1;
    const exp = cur === null ? this.exp(ttlSeconds) : this.map.get(key)!.exp;
    this.map.set(key, { v: String(n), exp });
    return n;
  }
  async del(...keys: string[]) {
    for (const k of keys) this.map.delete(k);
  }
  async readAndCount(keys: string[], counterKey: string | null, ttlSeconds: number) {
    return { values: keys.map((k) => this.read(k)), count: counterKey ? this.incrSync(counterKey, ttlSeconds) : 0 };
  }
  /** Forgets everything, as a restarted process would (tests of what survives an empty cache). */
  clear() {
    this.map.clear();
  }
  async ping() {}
  async close() {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}
