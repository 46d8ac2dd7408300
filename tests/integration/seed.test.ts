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
      tx.execute(sql`select (select count(*)::int from rooms) r, (select count(*)::int from students) s, (select count(*)::int from guardians) g, (select count(*)::int from staff) st, (select count(*)::int from attendance) a`),
    );
    expect(counts.rows[0]).toMatchObject({ r: 4, s: 40, g: 40, st: 8 });
    expect(counts.rows[0].a).toBeGreaterThan(50);
    const owner = await srv.signIn('owner@demo.example');
    const ctx = await owner.get('/me/context');
    expect(ctx.body.tenant.id).toBe(DEMO_TENANT_ID);
    expect(ctx.body.roles).toEqual(['owner']);
  });
});
