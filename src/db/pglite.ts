import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DataDirError, DiskFullError, sqlState as sqlStateOf } from '../core/errors.js';
import { DEFAULT_LIMITS, type Database, type Db, type OpenDatabaseOptions, type Tx } from './types.js';
import { scopeStatement } from './scopes.js';
import { activeUnitOfWork, afterCommitFor, runHooks, unitOfWorkStore, type UnitOfWork } from './unit-of-work.js';
import { checkDataDir, DATA_DIR_MIN_FREE, describeFsError, freeBytes, lockDataDir, mb } from './data-dir.js';
import { findMigrationsDir } from './migrations-dir.js';
import { withTimeout } from './timeout.js';

export async function openPglite(dataDir: string, opts: OpenDatabaseOptions): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let client: InstanceType<typeof PGlite>;
  let lockFile: string | undefined;
  const onDisk = !dataDir.startsWith('memory://');
  const dir = path.resolve(dataDir, 'pglite');
  /** PGlite's own failures at open and migration are plain objects (`{ errno: 51 }`): one line naming the directory. */
  const dataDirError = (err: unknown) =>
    err instanceof DataDirError || !onDisk ? err : new DataDirError(`DATA_DIR: the embedded database in ${dir} ${describeFsError(err)}`);
  if (!onDisk) {
    client = new PGlite(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
  } else {
    await checkDataDir(dataDir);
    lockFile = await lockDataDir(dir);
    try {
      client = new PGlite(dir);
      await client.waitReady;
    } catch (err) {
      await rm(lockFile, { force: true });
      throw dataDirError(err);
    }
  }
  await client.waitReady;
  const db = drizzle(client, { logger: opts.queryLogger }) as unknown as Db;
  const owner = {};
  return {
    kind: 'pglite',
    raw: db,
    scoped(scope, fn) {
      const uow = activeUnitOfWork(owner);
      if (uow) return uow.join(scope, fn);
      return db.transaction(async (tx) => {
        await tx.execute(scopeStatement(scope, limits));
        return fn(tx as Tx);
      });
    },
    async unitOfWork(scope, fn) {
      const outer = activeUnitOfWork(owner);
      if (outer) return outer.join(scope, fn);
      const u: UnitOfWork = { owner, closed: false, hooks: [], join: async () => Promise.reject(new Error('unit of work not open')) };
      try {
        const result = await db.transaction(async (outer) => {
          await outer.execute(scopeStatement(scope, limits));
          // Drizzle's nested transaction is a savepoint.
          u.join = (s, f) =>
            outer.transaction(async (sp) => {
              await sp.execute(scopeStatement(s, limits));
              return f(sp as Tx);
            });
          const r = await unitOfWorkStore.run(u, () => fn(outer as Tx));
          u.closed = true;
          return r;
        });
        runHooks(u);
        return result;
      } finally {
        u.closed = true;
      }
    },
    afterCommit: afterCommitFor(owner),
    async ping(timeoutMs = 2000) {
      await withTimeout(client.query('select 1'), timeoutMs, 'database ping');
      // A full disk fails every write (53100) while reads still answer: readiness says so.
      if (onDisk) {
        const free = await freeBytes(dir);
        if (free < DATA_DIR_MIN_FREE) throw new DiskFullError(`the disk of DATA_DIR (${dir}) has only ${mb(free)} free`);
      }
    },
    async migrate() {
      // PGlite is single-connection and single-process: no advisory lock needed.
      try {
        await migrate(drizzle(client), { migrationsFolder: findMigrationsDir() });
      } catch (err) {
        const fs = typeof err === 'object' && err !== null && 'errno' in err && !(err instanceof Error);
        throw fs || sqlStateOf(err) === '53100' ? dataDirError(err) : err;
      }
    },
    async close() {
      await client.close();
      if (lockFile) await rm(lockFile, { force: true });
    },
  };
}
