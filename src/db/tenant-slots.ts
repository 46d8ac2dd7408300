import { AppError } from '../core/errors.js';

/**
 * The pool connections one centre may hold at once (issue 20, point 8): a centre whose requests are stuck (a row
 * locked for a long time, a slow report) cannot take the whole pool from the others. A request beyond its centre's
 * share waits briefly for a slot, then answers 503 NOT_READY with Retry-After.
 */
export class TenantSlots {
  private readonly held = new Map<string, { n: number; waiters: (() => void)[] }>();
  constructor(
    readonly max: number,
    private readonly waitMs: number,
  ) {}
  async acquire(tenantId: string): Promise<() => void> {
    let e = this.held.get(tenantId);
    if (!e) this.held.set(tenantId, (e = { n: 0, waiters: [] }));
    const entry = e;
    if (entry.n >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          entry.waiters.splice(entry.waiters.indexOf(wake), 1);
          reject(
            new AppError('NOT_READY', 'This centre has too many requests waiting for the database; try again shortly', undefined, {
              'Retry-After': String(Math.max(1, Math.ceil(this.waitMs / 1000))),
            }),
          );
        }, this.waitMs);
        entry.waiters.push(wake);
      });
      // The releasing request handed its slot over: `n` stays as it was.
    } else entry.n++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = entry.waiters.shift();
      if (next) return next();
      entry.n--;
      if (entry.n === 0) this.held.delete(tenantId);
    };
  }
  /** Slots a centre holds now (tests). */
  inUse(tenantId: string) {
    return this.held.get(tenantId)?.n ?? 0;
  }
}

/**
 * A centre's default share of the pool: all but a quarter of it (at least one connection kept for the others), so a
 * busy centre loses little of its own concurrency while a stuck one leaves room for everyone else. A pool of one or
 * two (Lambda: one request at a time per environment) is not split.
 */
export const defaultTenantShare = (poolMax: number) => (poolMax <= 2 ? poolMax : poolMax - Math.max(1, Math.floor(poolMax / 4)));
