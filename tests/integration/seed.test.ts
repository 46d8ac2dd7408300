import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEMO_TENANT_ID, seedDemo } from '../../src/services/seed.js';
import { useServer } from '../factories/index.js';

describe('npm run seed', () => {
  const srv = useServer({ engine: 'pglite' });

  it('fills a demo centre once (a second run changes nothing) and its owner can sign in', async () => {
    const out = await seedDemo(srv.container);
    expect(out).toContain('owner@demo.example');
    await seedDemo(srv.container);
    const counts: any = await srv.container.db.scoped({ tenantId: DEMO_TENANT_ID }, (tx) =>
      tx.execute(sql`select (select count(*)::int from rooms) r, (select count(*)::int from students) s, (select count(*)::int from guardians) g, (select count(*)::int from staff) st, (select count(*)::int from attendance) a, (select count(*)::int from attendance where moved_to_room_id is not null) mv, (select count(*)::int from absences) ab, (select count(*)::int from care_entries) ce, (select count(*)::int from care_entries where not visible_to_guardians) hidden, (select array_agg(status order by status) from incidents) inc`),
    );
    expect(counts.rows[0]).toMatchObject({ r: 4, s: 40, g: 40, st: 8 });
    expect(counts.rows[0].a).toBeGreaterThan(50);
    expect(counts.rows[0].mv).toBeGreaterThan(0);
    expect(counts.rows[0].ab).toBeGreaterThan(1);
    expect(counts.rows[0].ce).toBeGreaterThan(400);
    expect(counts.rows[0].hidden).toBeGreaterThan(0);
    expect(counts.rows[0].inc).toEqual(['acknowledged', 'open', 'reviewed']);
    const owner = await srv.signIn('owner@demo.example');
    const ctx = await owner.get('/me/context');
    expect(ctx.body.tenant.id).toBe(DEMO_TENANT_ID);
    expect(ctx.body.roles).toEqual(['owner']);
  });
});
