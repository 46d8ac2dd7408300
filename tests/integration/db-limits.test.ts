/**
 * The bounds on database work (issue 20, points 8 and 9), on both engines where they apply: every scoped transaction
 * carries lock_timeout and statement_timeout; a lock wait or a statement past them is 503 NOT_READY with Retry-After
 * (never a 500); one centre holds at most its share of the pool; readiness has its own connection.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, fromDatabaseError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import { openDatabase, TenantSlots, type Database } from '../../src/db/db.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

const rowsOf = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;

describe.each(ENGINES)('statement limits on %s', (engine) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(engine);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('every scoped transaction carries lock_timeout (2 s) and statement_timeout (25 s)', async () => {
    for (const scope of [{ tenantId: newId() }, { tenantId: null }]) {
      const r = await db.scoped(scope, (tx) => tx.execute(sql`select current_setting('lock_timeout') as l, current_setting('statement_timeout') as s`));
      expect(rowsOf(r)[0]).toEqual({ l: '2s', s: '25s' });
    }
    const u = await db.unitOfWork({ tenantId: newId() }, () => db.scoped({ tenantId: newId() }, (tx) => tx.execute(sql`select current_setting('lock_timeout') as l`)));
    expect(rowsOf(u)[0]).toEqual({ l: '2s' });
  });
});

describe('lock and statement timeouts, the database errors they raise', () => {
  it('55P03 (lock not available), 57014 (statement timeout) and 53100 (disk full) are 503 NOT_READY with Retry-After', () => {
    for (const code of ['55P03', '57014', '53100']) {
      const mapped = fromDatabaseError(Object.assign(new Error('x'), { code }));
      expect(mapped?.status, code).toBe(503);
      expect(mapped?.code).toBe('NOT_READY');
      expect(Number(mapped?.headers?.['Retry-After'])).toBeGreaterThan(0);
    }
    // pg's client-side bound (query_timeout) too.
    expect(fromDatabaseError(new Error('Query read timeout'))?.status).toBe(503);
  });
});

describe('a centre\'s share of the pool', () => {
  it('a centre beyond its slots waits, then gets 503 NOT_READY with Retry-After; other centres are not held up; a freed slot goes to the next waiter', async () => {
    const slots = new TenantSlots(2, 150);
    const a1 = await slots.acquire('a');
    const a2 = await slots.acquire('a');
    const started = Date.now();
    const refused = await slots.acquire('a').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('NOT_READY');
    expect((refused as AppError).headers?.['Retry-After']).toBe('1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const b = await slots.acquire('b');
    const waiting = slots.acquire('a');
    a1();
    a1(); // a second release of the same slot is a no-op
    const a3 = await waiting;
    expect(slots.inUse('a')).toBe(2);
    a2();
    a3();
    b();
    expect(slots.inUse('a')).toBe(0);
    expect(slots.inUse('b')).toBe(0);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('on the PostgreSQL server', () => {
  const url = process.env.DATABASE_URL!;
  let db: Database;
  let holder: pg.Client;
  beforeAll(async () => {
    await (await openTestDatabase('pg')).close();
    db = await openDatabase({ databaseUrl: url, poolMax: 4, poolMaxPerTenant: 2, tenantWaitMs: 300, limits: { statementTimeoutMs: 400, lockTimeoutMs: 200 } });
    holder = new pg.Client({ connectionString: url });
    await holder.connect();
  }, 120_000);
  afterAll(async () => {
    await holder?.end();
    await db?.close();
  });

  it('a lock held elsewhere: the wait ends at lock_timeout with 55P03 → 503, and the connection is usable again', async () => {
    const key = Math.floor(Math.random() * 1e9);
    await holder.query('select pg_advisory_lock($1)', [key]);
    try {
      const started = Date.now();
      const err = await db.scoped({ tenantId: newId() }, (tx) => tx.execute(sql`select pg_advisory_xact_lock(${key})`)).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(fromDatabaseError(err)?.status).toBe(503);
    } finally {
      await holder.query('select pg_advisory_unlock($1)', [key]);
    }
    const ok = await db.scoped({ tenantId: newId() }, (tx) => tx.execute(sql`select 1 as one`));
    expect(rowsOf(ok)[0]).toEqual({ one: 1 });
  });

  it('a statement past statement_timeout: 57014 → 503', async () => {
    const err = await db.scoped({ tenantId: newId() }, (tx) => tx.execute(sql`select pg_sleep(3)`)).catch((e: unknown) => e);
    expect(fromDatabaseError(err)?.status).toBe(503);
  });

  it('one centre holds at most its share; another centre and readiness are not held up', async () => {
    const tenant = newId();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = [0, 1].map(() => db.scoped({ tenantId: tenant }, async (tx) => (await tx.execute(sql`select 1`), gate)));
    await new Promise((r) => setTimeout(r, 100));
    const third = await db.scoped({ tenantId: tenant }, (tx) => tx.execute(sql`select 1`)).catch((e: unknown) => e);
    expect((third as AppError).code).toBe('NOT_READY');
    expect((third as AppError).headers?.['Retry-After']).toBeDefined();
    const other = await db.scoped({ tenantId: newId() }, (tx) => tx.execute(sql`select 1 as one`));
    expect(rowsOf(other)[0]).toEqual({ one: 1 });
    // The whole pool busy (two more held without a tenant): readiness still answers, on its own connection.
    let releaseAll!: () => void;
    const gate2 = new Promise<void>((r) => (releaseAll = r));
    const busy = [0, 1].map(() => db.scoped({ tenantId: null }, async (tx) => (await tx.execute(sql`select 1`), gate2)));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await db.ping(1000);
    expect(Date.now() - started).toBeLessThan(1000);
    release();
    releaseAll();
    await Promise.all([...held, ...busy]);
    const again = await db.scoped({ tenantId: tenant }, (tx) => tx.execute(sql`select 1 as one`));
    expect(rowsOf(again)[0]).toEqual({ one: 1 });
  });
});
