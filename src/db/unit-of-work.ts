import { AsyncLocalStorage } from 'node:async_hooks';
import type { DbScope, Tx } from './types.js';

/**
 * The unit of work the current async flow runs in. AsyncLocalStorage here (not only for logging) because the services'
 * own `scoped()` calls must join it without every service passing a transaction through: it never leaves src/db/.
 */
export interface UnitOfWork {
  owner: object;
  closed: boolean;
  hooks: (() => unknown)[];
  join<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
}
export const unitOfWorkStore = new AsyncLocalStorage<UnitOfWork>();

export function activeUnitOfWork(owner: object): UnitOfWork | undefined {
  const u = unitOfWorkStore.getStore();
  return u && !u.closed && u.owner === owner ? u : undefined;
}

export function afterCommitFor(owner: object) {
  return async (fn: () => unknown) => {
    const u = activeUnitOfWork(owner);
    if (u) u.hooks.push(fn);
    else await fn();
  };
}

/** Runs the hooks of a committed unit of work outside of it (a job started by a hook must not join a finished request). */
export function runHooks(u: UnitOfWork) {
  unitOfWorkStore.exit(() => {
    for (const h of u.hooks) void Promise.resolve().then(h).catch(() => undefined);
  });
}
