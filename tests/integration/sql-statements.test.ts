import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoText, selectList } from '../../src/db/columns-sql.js';
import { queryMany, queryRows, type Database } from '../../src/db/db.js';
import { attendance, careEntries, rooms, students } from '../../src/models/index.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

/** Hot statements written as SQL (queryMany): the same rows, times and RLS as Drizzle's, on both engines. */
describe.each(ENGINES)('statements written as SQL on %s', (engine) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(engine);
  });
  afterAll(() => db.close());

  it('isoText formats a timestamptz exactly as the driver’s Date.toISOString() does (milliseconds truncated, UTC)', async () => {
    const rows = await db.scoped({ tenantId: null }, (tx) =>
      queryRows<{ t: Date; iso: string }>(
        tx,
        `select t, ${isoText('t')} as iso from (select '2026-03-29 00:59:59.9996+00'::timestamptz + (i * interval '0.7777771 second') as t from generate_series(1, 5000) i
          union all select '1999-12-31 23:59:59.999999+13'::timestamptz union all select '2026-12-01 05:07:46+00'::timestamptz) x`,
        [],
      ),
    );
    expect(rows.length).toBe(5002);
    for (const r of rows) expect(r.iso).toBe(r.t.toISOString());
  });

  it('selectList answers the shape and values Drizzle’s own select answers (dates as text, jsonb parsed)', async () => {
    for (const table of [students, rooms, attendance, careEntries]) expect(selectList(table)).toMatch(/ as "id"/);
    expect(selectList(students)).toContain('"date_of_birth"::text as "dateOfBirth"');
    expect(selectList(students, { alias: 's', except: ['tenantId'] })).not.toContain('tenant_id');
    const drizzleRow: unknown = await db.scoped({ tenantId: null }, async (tx) => ((await tx.execute(sql`select '2020-02-29'::date::text as d, '{"a":[1]}'::jsonb as j`)) as unknown as { rows: unknown[] }).rows[0]);
    const raw = await db.scoped({ tenantId: null }, (tx) => queryRows(tx, `select '2020-02-29'::date::text as d, '{"a":[1]}'::jsonb as j`, []));
    expect(raw[0]).toEqual(drizzleRow);
  });

  it('several reads go in one call and answer in order; parameters of every type arrive intact', async () => {
    const nasty = `O'Brien \\ '); drop table users; -- "x" $1 \u00e9`;
    const at = new Date('2026-01-02T03:04:05.678Z');
    const [a, b, c] = await db.scoped({ tenantId: null }, (tx) =>
      queryMany(tx, [
        { text: 'select $1::text as v, $2::int as n', values: [nasty, 42] },
        { text: 'select x from unnest($1::uuid[]) x order by x', values: [['00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001']] },
        { text: `select ($1::timestamptz at time zone 'Pacific/Auckland')::date::text as d`, values: [at] },
      ]),
    );
    expect(a).toEqual([{ v: nasty, n: 42 }]);
    expect(b!.map((r) => r.x)).toEqual(['00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002']);
    expect(c).toEqual([{ d: '2026-01-02' }]);
  });

  it('run under the scope’s RLS settings as the app role, and see nothing without a tenant', async () => {
    const [who] = await db.scoped({ tenantId: '00000000-0000-7000-8000-0000000000aa' }, (tx) =>
      queryRows<{ tenant: string; role: string }>(tx, `select current_setting('app.tenant_id', true) as tenant, current_user as role`, []),
    );
    expect(who).toEqual({ tenant: '00000000-0000-7000-8000-0000000000aa', role: 'daycare_app' });
    const none = await db.scoped({ tenantId: null }, (tx) => queryRows(tx, 'select id from students', []));
    expect(none).toEqual([]);
  });

  it('join a unit of work’s transaction (a later failure rolls back what they did)', async () => {
    const tenant = '00000000-0000-7000-8000-0000000000bb';
    await expect(
      db.unitOfWork({ tenantId: tenant }, async () => {
        await db.scoped({ tenantId: tenant }, (tx) => queryRows(tx, `select set_config('app.probe', 'inside', true)`, []));
        const [r] = await db.scoped({ tenantId: tenant }, (tx) => queryRows<{ p: string }>(tx, `select current_setting('app.probe', true) as p`, []));
        expect(r!.p).toBe('inside');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
  });
});
