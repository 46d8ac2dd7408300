/**
 * The database, one job per file: types.ts (the handle, scopes, limits, Database), scopes.ts (forTenant, acrossCentres,
 * systemWide, reScope and the RLS settings), unit-of-work.ts, scoped-connection.ts (the server's one-round-trip
 * connection and the hot statements written as SQL), tenant-slots.ts, pg.ts (the server pool), pglite.ts (embedded),
 * data-dir.ts (embedded mode's directory checks and lock), migrations-dir.ts, timeout.ts. This file opens the one the
 * configuration asks for, and is what the rest of src/ imports.
 */
import { openPg } from './pg.js';
import { openPglite } from './pglite.js';
import type { Database, OpenDatabaseOptions } from './types.js';

export { APP_ROLE, DEFAULT_LIMITS, type Database, type Db, type DbScope, type OpenDatabaseOptions, type Statement, type StatementLimits, type Tx } from './types.js';
export { acrossCentres, forTenant, reScope, systemWide } from './scopes.js';
export { inlineParams, isPlainRead, queryMany, queryRows } from './scoped-connection.js';
export { defaultTenantShare, TenantSlots } from './tenant-slots.js';
export { clientQueryTimeoutMs } from './pg.js';
export { checkDataDir, DATA_DIR_MIN_FREE, DATA_DIR_MIN_FREE_NEW, describeFsError, isAlive } from './data-dir.js';
export { findMigrationsDir } from './migrations-dir.js';

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPg(opts.databaseUrl, opts) : openPglite(opts.dataDir ?? './.data', opts);
}


export function pgConstraint(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.constraint === 'string') return e.constraint;
    e = e.cause;
  }
  return undefined;
}
