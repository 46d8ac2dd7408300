import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEMO_TENANT_ID, seedDemo } from '../../src/seed.js';
import { useServer } from '../factories/index.js';

describe('npm run seed', () => {
  const srv = useServer({ engine: 'pglite' });

  it('fills a demo centre once (a second run changes nothing) and its owner can sign in', async () => {
    const first = await seedDemo(srv.container);
    expect(first).toContain('owner@demo.example');
    const out = await seedDemo(srv.container);
    // Staff on shift, a kiosk token and PINs for demo guardians, issued afresh by each run (the first run's stop working).
    const token = /KIOSK_TOKEN=(\S+)/.exec(out)![1]!;
    const pin = /PIN (\d{6}) {2}.*parent@demo\.example/.exec(out)![1]!;
    const kiosk = (t: string, body: unknown) =>
      fetch(`${srv.url}/kiosk/lookup`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const look = await kiosk(token, { pin });
    expect(look.status).toBe(200);
    expect(((await look.json()) as any).children.length).toBeGreaterThan(0);
    expect((await kiosk(/KIOSK_TOKEN=(\S+)/.exec(first)![1]!, { pin })).status).toBe(401);
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
    // A few notifications for the demo families (issue 23), not doubled by the second run.
    const notes: any = await srv.container.db.scoped({ tenantId: DEMO_TENANT_ID }, (tx) =>
      tx.execute(sql`select type, count(*)::int n, count(distinct dedupe_key)::int d from notifications group by type order by type`),
    );
    expect(notes.rows.map((r: any) => r.type)).toContain('incident.reviewed');
    for (const r of notes.rows) expect(r.n).toBe(r.d);
    const owner = await srv.signIn('owner@demo.example');
    const ctx = await owner.get('/me/context');
    expect(ctx.body.tenant.id).toBe(DEMO_TENANT_ID);
    expect(ctx.body.roles).toEqual(['owner']);
    // The waitlist: a sibling first (tier 0), then the staff child, then the rest by rankAt; and one open offer.
    const waitlist = (await owner.get('/waitlist')).body.items;
    expect(waitlist.map((a: any) => [a.tier, a.position])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [2, 4],
    ]);
    expect((await owner.get('/applications?status=offered')).body.items).toHaveLength(1);
    const rooms = (await owner.get('/rooms')).body.items;
    for (const r of rooms) expect((await owner.get(`/rooms/${r.id}/roster`)).body.staffOnDuty).toBe(1);
    const cards = await owner.get('/timecards');
    expect(cards.status).toBe(200);
    // Billing: families on plans, the two previous months issued (numbers 1…n, gap-free), a payment by the demo parent.
    expect(first).toContain('Billing:');
    const accounts = (await owner.get('/billing/accounts?limit=200')).body.items;
    expect(accounts.length).toBeGreaterThan(10);
    const invoices = (await owner.get('/billing/invoices?limit=200')).body.items;
    expect(invoices.length).toBe(2 * accounts.length);
    expect(invoices.map((i: any) => i.number).sort((a: number, b: number) => a - b)).toEqual(invoices.map((_: unknown, k: number) => k + 1));
    expect((await owner.get('/billing/payments')).body.items).toHaveLength(1);
    const parent = await srv.signIn('parent@demo.example');
    const mine = (await parent.get('/billing/accounts')).body.items;
    expect(mine).toHaveLength(1);
    expect(mine[0].balance).toBe(0);
  });
});
