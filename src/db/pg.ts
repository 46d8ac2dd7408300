import { DEFAULT_LIMITS, type Database, type Db, type DbScope, type OpenDatabaseOptions, type StatementLimits, type Tx } from './types.js';
import { scopeLiteralSql } from './scopes.js';
import { activeUnitOfWork, afterCommitFor, runHooks, unitOfWorkStore, type UnitOfWork } from './unit-of-work.js';
import { ScopedConnection } from './scoped-connection.js';
import { defaultTenantShare, TenantSlots } from './tenant-slots.js';
import { findMigrationsDir } from './migrations-dir.js';
import { withTimeout } from './timeout.js';

const MIGRATION_LOCK_ID = 727_001;


/** The client-side bound of one round trip (`query_timeout`): the server's statement_timeout, plus a little for the answer to arrive. */
export const clientQueryTimeoutMs = (limits: StatementLimits) => limits.statementTimeoutMs + 1000;

/** pg's own error for a round trip that outlived `query_timeout`: the connection is stuck on it and must be thrown away. */
function isReadTimeout(err: unknown) {
  return err instanceof Error && err.message === 'Query read timeout';
}

export async function openPg(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  const pg = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const poolMax = opts.poolMax ?? 10;
  const queryTimeout = clientQueryTimeoutMs(limits);
  // A frozen or unreachable server (a silent fail-over, a network black hole) must not hold a request past the
  // gateway's 30 s: every round trip is bounded on the client too (query_timeout), a connection attempt for at most
  // 5 s, and TCP keepalive finds a dead peer under an idle connection (issue 20, point 9).
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: Math.min(5_000, limits.statementTimeoutMs),
    query_timeout: queryTimeout,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it on next use.
  pool.on('error', (err) => opts.onPoolError?.(err));
  // The readiness probe's own connection: it never waits in the application's pool queue behind a stuck centre.
  const probe = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 2_000, query_timeout: 2_000, keepAlive: true });
  probe.on('error', (err) => opts.onPoolError?.(err));
  const slots = new TenantSlots(opts.poolMaxPerTenant ?? defaultTenantShare(poolMax), opts.tenantWaitMs ?? 2_000);
  const tenantSlot = (scope: DbScope) => (scope.tenantId ? slots.acquire(scope.tenantId) : Promise.resolve(noop));
  const db = drizzle(pool, { logger: opts.queryLogger }) as unknown as Db;
  // One Drizzle handle per pooled connection, reused across transactions, talking through a ScopedConnection.
  const handles = new WeakMap<object, { tx: Tx; conn: ScopedConnection; dead: boolean }>();
  const owner = {};
  const checkout = async () => {
    const client = await pool.connect();
    let handle = handles.get(client);
    if (!handle) {
      const conn = new ScopedConnection(client);
      const h = { conn, dead: false, tx: drizzle({ client: conn as unknown as InstanceType<typeof pg.Pool>, logger: opts.queryLogger }) as unknown as Tx };
      // pg-pool drops its own 'error' listener while a client is checked out: without this one, a server restart
      // (57P01) under a running transaction is an unhandled 'error' event that kills the process. The query in
      // flight fails on its own; the connection is thrown away when released.
      client.on('error', (err) => {
        h.dead = true;
        opts.onPoolError?.(err);
      });
      handles.set(client, h);
      handle = h;
    }
    return { client, handle };
  };
  const lit = (client: import('pg').PoolClient) => (v: string) => client.escapeLiteral(v);
  /**
   * A round trip that outlived query_timeout leaves its connection waiting for an answer that may never come: no
   * rollback is queued behind it (it would wait as long again); the socket is destroyed and the connection dropped.
   */
  const abandon = (client: import('pg').PoolClient, handle: { dead: boolean }) => {
    handle.dead = true;
    (client as unknown as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
  };
  return {
    kind: 'pg',
    raw: db,
    stats: () => ({ used: pool.totalCount - pool.idleCount, idle: pool.idleCount, pending: pool.waitingCount, max: poolMax }),
    // Not db.transaction(): the RLS context rides with the statements (see ScopedConnection), so a tenant-scoped read
    // is one round trip, and BEGIN … COMMIT is paid only by work that writes or locks.
    async scoped(scope, fn) {
      const uow = activeUnitOfWork(owner);
      if (uow) return uow.join(scope, fn);
      const release = await tenantSlot(scope);
      try {
        const { client, handle } = await checkout();
        const { conn, tx } = handle;
        conn.open(scopeLiteralSql(scope, lit(client), limits));
        let broken = false;
        try {
          const result = await fn(tx);
          if (conn.started) await client.query('commit');
          return result;
        } catch (err) {
          if (isReadTimeout(err)) abandon(client, handle);
          else if (conn.started)
            await client.query('rollback').catch(() => {
              broken = true;
            });
          throw err;
        } finally {
          conn.close();
          client.release(broken || handle.dead);
        }
      } finally {
        release();
      }
    },
    async unitOfWork(scope, fn) {
      const outer = activeUnitOfWork(owner);
      if (outer) return outer.join(scope, fn);
      const release = await tenantSlot(scope);
      let checkedOut: Awaited<ReturnType<typeof checkout>>;
      try {
        checkedOut = await checkout();
      } catch (err) {
        release();
        throw err;
      }
      const { client, handle } = checkedOut;
      const { conn, tx } = handle;
      let broken = false;
      let savepoints = 0;
      const u: UnitOfWork = {
        owner,
        closed: false,
        hooks: [],
        async join(s, f) {
          const name = `uow_${++savepoints}`;
          await client.query(`savepoint ${name}; ${scopeLiteralSql(s, lit(client), limits)}`);
          try {
            const r = await f(tx);
            await client.query(`release savepoint ${name}`);
            return r;
          } catch (err) {
            if (isReadTimeout(err) || handle.dead) {
              abandon(client, handle);
              throw err;
            }
            await client.query(`rollback to savepoint ${name}`).catch((e: unknown) => {
              broken = true;
              if (isReadTimeout(e)) abandon(client, handle);
            });
            throw err;
          }
        },
      };
      try {
        const settings = scopeLiteralSql(scope, lit(client), limits);
        await client.query(`begin; ${settings}`);
        conn.open(settings);
        conn.started = true;
        const result = await unitOfWorkStore.run(u, () => fn(tx));
        u.closed = true;
        await client.query('commit');
        runHooks(u);
        return result;
      } catch (err) {
        u.closed = true;
        if (isReadTimeout(err) || handle.dead) abandon(client, handle);
        else
          await client.query('rollback').catch(() => {
            broken = true;
          });
        throw err;
      } finally {
        conn.close();
        client.release(broken || handle.dead);
        release();
      }
    },
    afterCommit: afterCommitFor(owner),
    async ping(timeoutMs = 2000) {
      await withTimeout(probe.query('select 1'), timeoutMs, 'database ping');
    },
    async migrate() {
      const client = new pg.Client({ connectionString: url });
      // A server restart during migrations fails them (the query in flight rejects) instead of killing the process.
      client.on('error', (err) => opts.onPoolError?.(err));
      await client.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        try {
          // Imported here: only the Migrate function and local tools migrate, never an API cold start.
          const { migrate } = await import('drizzle-orm/node-postgres/migrator');
          await migrate(drizzle(client), { migrationsFolder: findMigrationsDir() });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
        }
      } finally {
        await client.end();
      }
    },
    close: async () => {
      await Promise.all([pool.end(), probe.end()]);
    },
  };
}
const noop = () => undefined;
