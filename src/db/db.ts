import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { isUuid } from '../core/ids.js';
import { AppError, DataDirError, DiskFullError, sqlState as sqlStateOf } from '../core/errors.js';
import { canonicalEmail } from '../core/email.js';
import pgUtils from 'pg/lib/utils.js';

const prepareValue = pgUtils.prepareValue;

/**
 * Handles built without a schema: every statement names its tables (src/models), nothing uses Drizzle's relational
 * `db.query.*` API, so no handle pays for deriving its relational config from all the tables (each pooled
 * connection's handle did, on its first checkout).
 */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<PgQueryResultHKT>;

/** Who a transaction acts for. Row-level security reads these settings; the tenant never comes from the client. */
export interface DbScope {
  tenantId: string | null;
  userId?: string | null;
  email?: string | null;
  /**
   * The sign-in paths (exchange, refresh, switch, /me/context, invitations) look across centres: only with this (or
   * without a tenant) do `userId`/`email` reach RLS as `app.user_id`/`app.user_email`. A tenant's ordinary request
   * is bound to its tenant alone, so a member's rows in other centres are out of its reach.
   */
  crossCentre?: boolean;
  /** Lets the scheduler enumerate centres (tenants' id and time zone only); see migrations/0001_security.sql. */
  system?: boolean;
}

/**
 * The one way to enter a tenant: a centre's ordinary work (a request, a job, a scheduled task) is bound to its tenant
 * alone, so a member's rows in other centres stay out of its reach. Takes a context (RequestContext's tenant part, a
 * JobActor) or a tenant id.
 */
export function forTenant(ctx: { tenantId: string } | string): DbScope {
  return { tenantId: typeof ctx === 'string' ? ctx : ctx.tenantId };
}

/**
 * The paths that cross centres (sign-in, refresh, switch, /me/context, invitations): the user (and email) reach RLS
 * as `app.user_id`/`app.user_email`, with the active centre when there is one. `{}` is work for no one yet: a session
 * looked up by its token before anyone is known.
 */
export function acrossCentres(user: { userId?: string | null; email?: string | null }, tenantId: string | null = null): DbScope {
  return { tenantId, userId: user.userId ?? null, email: user.email ?? null, crossCentre: true };
}

/** The scheduler's view: it may enumerate centres (id and time zone only; see migrations/0001_security.sql). */
export function systemWide(): DbScope {
  return { tenantId: null, system: true };
}

/**
 * The transaction-level re-scope of a path that crosses centres, for the rest of the transaction: to a user once the
 * sign-in knows who it is (their memberships and the invitations to their email become visible), or to the tenant an
 * audit row is written for. The only other place that sets RLS settings is `scoped()` itself.
 */
export async function reScope(tx: Tx, to: { tenantId: string } | { userId: string; email: string }): Promise<void> {
  if ('tenantId' in to) await tx.execute(sql`select set_config('app.tenant_id', ${to.tenantId}, true)`);
  else await tx.execute(sql`select set_config('app.user_id', ${to.userId}, true), set_config('app.user_email', ${canonicalEmail(to.email)}, true)`);
}

export const APP_ROLE = 'daycare_app';
/**
 * The bounds of a statement of application work, sent with every scoped transaction: no statement may outlive the
 * gateway's 30 s (long work is a job of short statements), and no row lock is waited for longer than `lockTimeoutMs`,
 * so a row one request keeps locked stalls the others for seconds, not for the statement timeout (issue 20, point 8).
 */
export interface StatementLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}
export const DEFAULT_LIMITS: StatementLimits = { statementTimeoutMs: 25_000, lockTimeoutMs: 2_000 };
const MIGRATION_LOCK_ID = 727_001;

export interface Database {
  readonly kind: 'pg' | 'pglite';
  /** Raw handle: for migrations, health checks and tests only. Application code uses `scoped`. */
  readonly raw: Db;
  /** Runs `fn` in one transaction as the restricted app role with the scope's settings, so RLS always applies. */
  scoped<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction that every `scoped()` call made inside it (in the same async flow) joins, each in a
   * savepoint with its own scope settings: all of a request's work commits or rolls back together. The idempotency
   * service runs a keyed request this way, so the stored response commits with the change it answers for.
   */
  unitOfWork<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the surrounding unit of work has committed (its errors are then only logged by `fn` itself), or
   * now, awaited, when there is none. Dropped on rollback.
   */
  afterCommit(fn: () => unknown): Promise<void>;
  ping(timeoutMs?: number): Promise<void>;
  /** The server pool's connections (used, idle), callers waiting and its size, for metrics; PGlite has no pool. */
  stats?(): { used: number; idle: number; pending: number; max: number };
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The unit of work the current async flow runs in. AsyncLocalStorage here (not only for logging) because the services'
 * own `scoped()` calls must join it without every service passing a transaction through: it never leaves db.ts.
 */
interface UnitOfWork {
  owner: object;
  closed: boolean;
  hooks: (() => unknown)[];
  join<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
}
const unitOfWorkStore = new AsyncLocalStorage<UnitOfWork>();

function activeUnitOfWork(owner: object): UnitOfWork | undefined {
  const u = unitOfWorkStore.getStore();
  return u && !u.closed && u.owner === owner ? u : undefined;
}

function afterCommitFor(owner: object) {
  return async (fn: () => unknown) => {
    const u = activeUnitOfWork(owner);
    if (u) u.hooks.push(fn);
    else await fn();
  };
}

/** Runs the hooks of a committed unit of work outside of it (a job started by a hook must not join a finished request). */
function runHooks(u: UnitOfWork) {
  unitOfWorkStore.exit(() => {
    for (const h of u.hooks) void Promise.resolve().then(h).catch(() => undefined);
  });
}

/**
 * The transaction-local settings that row-level security reads, and the switch to the restricted role: one list,
 * rendered as a parameterised statement (PGlite) or as escaped literals (the server's one-round-trip path).
 */
function scopeSettings(scope: DbScope, limits: StatementLimits): [string, string][] {
  if (scope.tenantId !== null && !isUuid(scope.tenantId)) throw new Error('invalid tenant id in scope');
  if (scope.userId && !isUuid(scope.userId)) throw new Error('invalid user id in scope');
  const user = scope.tenantId === null || scope.crossCentre;
  return [
    ['app.tenant_id', scope.tenantId ?? ''],
    ['app.user_id', (user && scope.userId) || ''],
    ['app.user_email', (user && scope.email ? canonicalEmail(scope.email) : '')],
    ['app.scope', scope.system ? 'system' : ''],
    ['statement_timeout', `${limits.statementTimeoutMs}ms`],
    ['lock_timeout', `${limits.lockTimeoutMs}ms`],
    ['role', APP_ROLE],
  ];
}

function scopeStatement(scope: DbScope, limits: StatementLimits) {
  // One round trip: the settings and the role switch are all transaction-local (is_local = true).
  return sql`select ${sql.join(scopeSettings(scope, limits).map(([k, v]) => sql`set_config(${k}, ${v}, true)`), sql`, `)}`;
}

/**
 * A pooled connection as Drizzle sees it inside `scoped()`: it takes the RLS context (the settings and the role switch)
 * to PostgreSQL with each statement instead of in round trips of its own.
 *
 * - A plain read (`select` without a row lock or a settings change) is sent as `<settings>; <statement>` in one
 *   simple-protocol round trip: an implicit transaction of its own, so the settings are transaction-local and gone
 *   afterwards. Under READ COMMITTED every statement of a transaction takes its own snapshot anyway, so a run of reads
 *   means exactly what it would inside BEGIN … COMMIT.
 * - The first statement that writes, locks rows or changes a setting opens a real transaction instead:
 *   `begin; <settings>; <statement>`, and everything after it runs in that transaction, committed by `scoped()`.
 * Parameters of a statement sent this way are inlined as escaped literals of exactly the text pg would send for them,
 * untyped, so PostgreSQL resolves them the same way. Measured: a tenant-scoped read costs what it costs without RLS.
 */
class ScopedConnection {
  private settings: string | null = null;
  /** A real transaction is open (a write, a lock or a settings change happened). */
  started = false;
  constructor(private readonly client: import('pg').PoolClient) {}

  open(settings: string) {
    this.settings = settings;
    this.started = false;
  }
  close() {
    this.settings = null;
    this.started = false;
  }

  /**
   * Statements written as SQL (see `queryMany`), sent together in one simple-protocol round trip with their
   * parameters inlined: behind the RLS settings as a plain read, or opening the real transaction when one writes.
   */
  async many(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    const lit = (v: string) => this.client.escapeLiteral(v);
    let text = statements.map((st) => inlineParams(st.text, st.values, lit)).join('; ');
    if (this.settings !== null && !this.started) {
      const read = statements.every((st) => isPlainRead(st.text));
      text = `${read ? this.settings : `begin; ${this.settings}`}; ${text}`;
      if (!read) this.started = true;
    }
    const results = (await this.client.query(text)) as unknown as { rows: Record<string, unknown>[] } | { rows: Record<string, unknown>[] }[];
    const all = Array.isArray(results) ? results : [results];
    return all.slice(all.length - statements.length).map((r) => r.rows);
  }

  async query(config: string | { text: string; name?: string; values?: unknown[] }, values?: unknown[]): Promise<unknown> {
    const settings = this.settings;
    if (settings === null || this.started) return this.client.query(config as any, values as any);
    const cfg = typeof config === 'string' ? { text: config } : config;
    const read = isPlainRead(cfg.text);
    const prefix = read ? settings : `begin; ${settings}`;
    if (!read) this.started = true;
    if (cfg.name) {
      // A named prepared statement cannot ride in a simple query: send the prefix on its own first.
      if (read) throw new Error('named statements are not supported in a scoped read');
      await this.client.query(prefix);
      return this.client.query(config as any, values as any);
    }
    const text = `${prefix}; ${inlineParams(cfg.text, values ?? cfg.values ?? [], (v) => this.client.escapeLiteral(v))}`;
    const results = (await this.client.query({ ...cfg, text, values: undefined } as any)) as unknown;
    return Array.isArray(results) ? results[results.length - 1] : results;
  }
}

/** A statement written once as SQL: `$1…$n` parameters, its columns aliased to the row shape its caller reads. */
export interface Statement {
  text: string;
  values: unknown[];
}

type RawSession = { session: { client: unknown; logger: { logQuery(query: string, params: unknown[]): void } } };

/**
 * Runs hot statements without Drizzle: no query building per request and no general-purpose row mapper (rows are the
 * driver's plain objects, named by the statements' aliases). They run on the scoped transaction's own connection, so
 * the RLS context applies exactly as it does to every other statement. On a server, the statements given together go
 * to PostgreSQL in one round trip (after the RLS settings, as a plain read, or opening the transaction when one of
 * them writes or locks); on PGlite they run one after the other in the transaction.
 */
export async function queryMany(tx: Tx, statements: Statement[]): Promise<Record<string, unknown>[][]> {
  const { client, logger } = (tx as unknown as RawSession).session;
  for (const st of statements) logger.logQuery(st.text, st.values);
  if (client instanceof ScopedConnection) return client.many(statements);
  const out: Record<string, unknown>[][] = [];
  const pglite = client as { query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };
  for (const st of statements) out.push((await pglite.query(st.text, st.values)).rows);
  return out;
}

/** One statement of `queryMany`; its rows typed by the caller (the statement's aliases must match `T`). */
export async function queryRows<T>(tx: Tx, text: string, values: unknown[]): Promise<T[]> {
  return (await queryMany(tx, [{ text, values }]))[0] as T[];
}

const LOCKING = /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i;
/** A statement that only reads: no DML, no row locks, no settings or sequence or advisory-lock functions. */
export function isPlainRead(text: string): boolean {
  return /^\s*select\b/i.test(text) && !LOCKING.test(text) && !/set_config|nextval|setval|pg_advisory|txid_current\b/i.test(text);
}

/** Replaces $1…$n outside quoted strings and identifiers with escaped literals of pg's own text form of each value. */
export function inlineParams(text: string, values: unknown[], literal: (v: string) => string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === ch) {
          if (text[j + 1] === ch) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '$' && i + 1 < text.length && text[i + 1]! >= '0' && text[i + 1]! <= '9') {
      let j = i + 1;
      while (j < text.length && text[j]! >= '0' && text[j]! <= '9') j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > values.length) throw new Error(`query parameter $${n} has no value`);
      const v = prepareValue(values[n - 1]);
      if (v === null || v === undefined) out += 'NULL';
      else if (Buffer.isBuffer(v)) out += `'\\x${v.toString('hex')}'::bytea`;
      else out += literal(String(v));
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** The same settings as `scopeStatement`, as literal SQL for a simple-protocol round trip (values escaped by the driver). */
function scopeLiteralSql(scope: DbScope, lit: (v: string) => string, limits: StatementLimits) {
  return `select ${scopeSettings(scope, limits).map(([k, v]) => `set_config(${lit(k)}, ${lit(v)}, true)`).join(', ')}`;
}

export function findMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.MIGRATIONS_DIR,
    path.join(here, 'migrations'),
    path.resolve(here, '../../migrations'),
    path.resolve(here, '../../../migrations'),
    path.resolve(process.cwd(), 'migrations'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(path.join(p, 'meta', '_journal.json')));
  if (!found) throw new Error('migrations folder not found (set MIGRATIONS_DIR)');
  return found;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
    }),
  ]);
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  /** PGlite data directory; `memory://` for an in-memory database (tests). */
  dataDir?: string;
  /**
   * Tests only: an in-memory PGlite (`memory://`) starts from this dumped data directory (`dumpDataDir()` of a migrated
   * database) instead of a fresh cluster, so each test server skips initdb and the migrations. Ignored on disk.
   */
  loadDataDir?: Blob;
  poolMax?: number;
  onPoolError?: (err: Error) => void;
  /** Sees every statement (the query-plan benchmark captures the hot routes' SQL with it). */
  queryLogger?: { logQuery(query: string, params: unknown[]): void };
  /** statement_timeout and lock_timeout of every scoped transaction (defaults: 25 s, 2 s). */
  limits?: StatementLimits;
  /** Pool connections one centre may hold at once (default: `defaultTenantShare`). */
  poolMaxPerTenant?: number;
  /** How long a centre's request waits for one of its slots before 503 NOT_READY (default 2 s). */
  tenantWaitMs?: number;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPg(opts.databaseUrl, opts) : openPglite(opts.dataDir ?? './.data', opts);
}

/** The client-side bound of one round trip (`query_timeout`): the server's statement_timeout, plus a little for the answer to arrive. */
export const clientQueryTimeoutMs = (limits: StatementLimits) => limits.statementTimeoutMs + 1000;

/** pg's own error for a round trip that outlived `query_timeout`: the connection is stuck on it and must be thrown away. */
function isReadTimeout(err: unknown) {
  return err instanceof Error && err.message === 'Query read timeout';
}

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

async function openPg(url: string, opts: OpenDatabaseOptions): Promise<Database> {
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

/** Free space a new embedded database needs (PGlite's fresh cluster is ~40 MB) and below which readiness says "disk full". */
export const DATA_DIR_MIN_FREE_NEW = 64 * 1024 * 1024;
export const DATA_DIR_MIN_FREE = 8 * 1024 * 1024;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function freeBytes(dir: string) {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** WASI errno numbers PGlite's file system throws (as plain `{ errno }` objects, not Errors) and node's codes. */
const WASI_ERRNO: Record<number, string> = { 2: 'EACCES', 44: 'ENOENT', 51: 'ENOSPC', 63: 'EPERM', 69: 'EROFS', 54: 'ENOTDIR' };
const CAUSE: Record<string, string> = {
  ENOSPC: 'is out of space (ENOSPC)',
  '53100': 'is out of space (disk full)',
  EROFS: 'is on a read-only file system (EROFS)',
  EACCES: 'may not be written by this user (EACCES)',
  EPERM: 'may not be written by this user (EPERM)',
  ENOTDIR: 'is not a directory (ENOTDIR)',
  EEXIST: 'is not a directory (EEXIST)',
};

/** The cause of a file-system failure in words, for errors from node (`code`) and from PGlite's WASM file system (`errno`). */
export function describeFsError(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'number' ? WASI_ERRNO[e.errno] : sqlStateOf(err);
  if (code && CAUSE[code]) return CAUSE[code]!;
  if (code) return `cannot be used (${code})`;
  const msg = typeof e?.message === 'string' && e.message ? e.message : JSON.stringify(err) ?? String(err);
  return `cannot be used (${msg.replace(/\s+/g, ' ').slice(0, 200)})`;
}

/**
 * Embedded mode's data directory, checked before PGlite touches it (issue 20, point 11): writable, and with the free
 * space a database needs. Every failure is one DataDirError naming the directory and the cause.
 */
export async function checkDataDir(dataDir: string): Promise<void> {
  const dir = path.resolve(dataDir);
  const fail = (cause: string) => new DataDirError(`DATA_DIR: ${dir} ${cause} (set DATA_DIR to a writable directory with space)`);
  try {
    // Probed where writing starts (the nearest directory that exists): a recursive mkdir on a read-only file
    // system reports ENOENT, which names neither the directory nor the cause.
    let existing = dir;
    while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
    const probe = path.join(existing, `.daycare-write-test-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
    await mkdir(path.join(dir, 'pglite'), { recursive: true });
  } catch (err) {
    throw fail(describeFsError(err));
  }
  const fresh = !existsSync(path.join(dir, 'pglite', 'PG_VERSION'));
  const need = fresh ? DATA_DIR_MIN_FREE_NEW : DATA_DIR_MIN_FREE;
  const free = await freeBytes(dir);
  if (free < need) throw fail(`has only ${mb(free)} free; the embedded database needs at least ${mb(need)}${fresh ? ' to be created' : ''}`);
}

async function openPglite(dataDir: string, opts: OpenDatabaseOptions): Promise<Database> {
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

/**
 * PGlite is one process's database: a second process opening the same directory (say `npm run seed` while
 * `npm start` runs) would not see the first one's writes and could corrupt the files. Refuse it with a clear message.
 */
async function lockDataDir(dir: string): Promise<string> {
  const file = path.join(dir, '.daycare.lock');
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (pid && pid !== process.pid && isAlive(pid))
      throw new Error(`the embedded database in ${dir} is in use by process ${pid}; stop it first (or set DATABASE_URL)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(file, String(process.pid));
  return file;
}

/** Whether `pid` is a running process: a zombie (killed, not yet reaped by its parent) answers signal 0 but holds nothing. */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the third field of /proc/<pid>/stat is the state; Z (zombie) and X (dead) are not alive.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return true; // no procfs (macOS): signal 0 is the best answer there
  }
}

export function pgConstraint(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.constraint === 'string') return e.constraint;
    e = e.cause;
  }
  return undefined;
}
