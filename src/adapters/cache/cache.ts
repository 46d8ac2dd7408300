/**
 * The cache: entitlements versions, permission sets, revocation cut-offs (a copy; the database is the truth), rate-limit counters and idempotency locks.
 * Keys that one request reads together share a Redis hash tag (`{m:<membership>}`), so one pipeline serves them
 * even on a cluster (ElastiCache Serverless).
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /**
   * Which lineage of contents the store holds now: it changes whenever the store may have lost data or gone back in
   * time (a Redis restarted empty, restored from an older snapshot, or failed over: its `run_id` changed), and is
   * null while that is not known (disconnected, or reconnected and not yet asked). Keys that are only a copy of the
   * database (revocation cut-offs, entitlements versions) carry it, so a store that went back reads as a miss and the
   * database decides until the copies are rebuilt; with null the caller asks the database and writes nothing.
   */
  generation(): string | null;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets the key only when absent; true when this call set it (a lock). */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Sets a numeric value only when it is greater than the stored one (or none is stored), atomically; returns the
   * value stored afterwards. Versions and revocation cut-offs only ever move forward, whatever order writers arrive in.
   * A greater value refreshes the TTL; a smaller one leaves the key alone.
   */
  setIfGreater(key: string, value: number, ttlSeconds: number): Promise<number>;
  /** Increments a counter; the TTL is set when the counter is created. */
  incr(key: string, ttlSeconds?: number): Promise<number>;
  del(...keys: string[]): Promise<void>;
  /** Reads `keys` and increments `counterKey` in one round trip (the authentication hot path); all keys must share one hash tag. */
  readAndCount(keys: string[], counterKey: string | null, ttlSeconds: number): Promise<{ values: (string | null)[]; count: number }>;
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Redis did not answer (down, unreachable, timed out): the request fails closed with 503 NOT_READY. */
export class CacheUnavailableError extends Error {
  constructor(message: string) {
    super(`cache unavailable: ${message}`);
    this.name = 'CacheUnavailableError';
  }
}
