import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';

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

/** A statement written once as SQL: `$1…$n` parameters, its columns aliased to the row shape its caller reads. */
export interface Statement {
  text: string;
  values: unknown[];
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
