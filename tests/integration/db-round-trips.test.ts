import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParams, openDatabase, type Database } from '../../src/db/db.js';

const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;

describe('inlineParams (the first statement of a tenant transaction rides with BEGIN)', () => {
  it('replaces placeholders outside strings and identifiers only', () => {
    expect(inlineParams(`select "a$1", 'it''s $1', $1, $2 from t where "x""$2" = $10`, ['v1', 2, 3, 4, 5, 6, 7, 8, 9, 'ten'], lit)).toBe(
      `select "a$1", 'it''s $1', 'v1', '2' from t where "x""$2" = 'ten'`,
    );
  });
  it('uses pg’s own text forms: null, booleans, dates, arrays, objects', () => {
    const d = new Date('2026-01-02T03:04:05.000Z');
    const out = inlineParams('select $1, $2, $3, $4, $5', [null, true, d, ['a', 'b"c'], { k: "v'" }], lit);
    expect(out).toContain('select NULL, ');
    expect(out).toContain(`'true'`);
    expect(out).toContain(`'{"a","b\\"c"}'`);
    expect(out).toContain(`'{"k":"v''"}'`);
  });
  it('refuses a placeholder without a value', () => {
    expect(() => inlineParams('select $3', [1], lit)).toThrow();
  });
});

describe.skipIf(!process.env.DATABASE_URL)('tenant transactions on the PostgreSQL server', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolMax: 2 });
    await db.migrate();
  });
  afterAll(() => db.close());

  it('values that need escaping arrive intact (no injection through the inlined first statement)', async () => {
    const nasty = `O'Brien \\ '); drop table users; -- "x" $1 \u00e9\u{1F600}`;
    const r: any = await db.scoped({ tenantId: null }, (tx) => tx.execute(sql`select ${nasty}::text as v, ${42}::int as n, ${null}::text as z`));
    expect(r.rows[0]).toEqual({ v: nasty, n: 42, z: null });
  });

  it('the RLS settings are in force from the first statement, and gone after the transaction', async () => {
    const tid = '0190e6c4-0000-7000-8000-00000000abcd';
    const r: any = await db.scoped({ tenantId: tid }, (tx) => tx.execute(sql`select current_setting('app.tenant_id', true) t, current_user u, current_setting('statement_timeout') st`));
    expect(r.rows[0]).toEqual({ t: tid, u: 'daycare_app', st: '25s' });
    const after: any = await db.raw.execute(sql`select coalesce(current_setting('app.tenant_id', true), '') t, current_user u`);
    expect(after.rows[0].t).toBe('');
    expect(after.rows[0].u).not.toBe('daycare_app');
  });

  it('an error rolls back everything, including the first statement', async () => {
    const tid = '0190e6c4-0000-7000-8000-00000000abce';
    await expect(
      db.scoped({ tenantId: tid }, async (tx) => {
        await tx.execute(sql`insert into tenants (id, name, timezone) values (${tid}, 'Rollback', 'UTC')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const r: any = await db.scoped({ tenantId: tid }, (tx) => tx.execute(sql`select count(*)::int n from tenants where id = ${tid}`));
    expect(r.rows[0].n).toBe(0);
  });

  it('reads before a write see the scope; a write opens a real transaction that a later error rolls back', async () => {
    const tid = '0190e6c4-0000-7000-8000-00000000abcf';
    await expect(
      db.scoped({ tenantId: tid }, async (tx) => {
        const r: any = await tx.execute(sql`select current_setting('app.tenant_id', true) t`);
        expect(r.rows[0].t).toBe(tid);
        await tx.execute(sql`insert into tenants (id, name, timezone) values (${tid}, 'Second', 'UTC')`);
        const seen: any = await tx.execute(sql`select count(*)::int n from tenants where id = ${tid}`);
        expect(seen.rows[0].n).toBe(1);
        throw new Error('after the write');
      }),
    ).rejects.toThrow('after the write');
    const r: any = await db.scoped({ tenantId: tid }, (tx) => tx.execute(sql`select count(*)::int n from tenants where id = ${tid}`));
    expect(r.rows[0].n).toBe(0);
  });

  it('a settings change mid-work holds for the statements after it', async () => {
    const t1 = '0190e6c4-0000-7000-8000-00000000ab01';
    const t2 = '0190e6c4-0000-7000-8000-00000000ab02';
    const r: any = await db.scoped({ tenantId: t1 }, async (tx) => {
      await tx.execute(sql`select set_config('app.tenant_id', ${t2}, true)`);
      return tx.execute(sql`select current_setting('app.tenant_id', true) t`);
    });
    expect(r.rows[0].t).toBe(t2);
  });

  it('a transaction that issues no statement is fine, and the connection stays usable', async () => {
    await expect(db.scoped({ tenantId: null }, async () => 7)).resolves.toBe(7);
    const r: any = await db.scoped({ tenantId: null }, (tx) => tx.execute(sql`select 1 as one`));
    expect(r.rows[0].one).toBe(1);
  });
});

describe('isPlainRead decides what may run outside BEGIN … COMMIT', () => {
  it.each([
    ['select * from students where tenant_id = $1', true],
    ['  SELECT 1', true],
    ['select * from rooms where id = $1 for update', false],
    ['select id from memberships for no key update', false],
    ['select * from t for share', false],
    ["select set_config('app.tenant_id', $1, true)", false],
    ['select pg_advisory_xact_lock(1)', false],
    ['select pg_try_advisory_xact_lock(hashtext($1))', false],
    ['select pg_try_advisory_lock(42) as got', false],
    ['select pg_advisory_unlock_all()', false],
    ["select nextval('invoice_numbers')", false],
    ["select setval('s', 1)", false],
    ["select pg_notify('outbox', '')", false],
    ['select txid_current()', false],
    ['select pg_current_xact_id()', false],
    ['select lo_unlink(1)', false],
    ['select pg_terminate_backend(1)', false],
    ['select * into rooms_copy from rooms', false],
    ['select 1; delete from rooms', false],
    ['select count(*)::int as n, coalesce(max(version), 0) from rooms where tenant_id = $1;', true],
    ['insert into rooms values ($1)', false],
    ['update rooms set name = $1', false],
    ['delete from rooms', false],
    ['with x as (delete from t returning *) select * from x', false],
  ])('%s → %s', async (text, expected) => {
    const { isPlainRead } = await import('../../src/db/db.js');
    expect(isPlainRead(text)).toBe(expected);
  });
});
