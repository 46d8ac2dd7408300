import { describe, expect, it } from 'vitest';
import expected from './billing-run-batch.expected.json' with { type: 'json' };
import { mkGuardian, mkStudent, newCentre, useServer } from '../factories/index.js';

const ok = (r: { status: number; body: any; text: string }, status?: number) => {
  if (status) expect(r.status, r.text).toBe(status);
  else expect([200, 201], r.text).toContain(r.status);
  return r.body;
};

/**
 * A run's batch reads each input once for all its accounts and writes in multi-row statements: a batch of many accounts
 * must bill exactly what batches of one account bill. Two identical centres (a mix of families: two children with a
 * sibling discount and a pro-rata start, a pro-rata end, charges, an issued month changed afterwards, an issued month of
 * the period, no subscription) are run side by side, one account per batch and 50 per batch, and compared at each step
 * with each other and with what the per-account run billed before batching (billing-run-batch.expected.json).
 */
describe('billing run: a batch of many accounts bills exactly what one account per batch bills', () => {
  const srv = useServer();

  async function fixture() {
    const { owner, tenant, membership } = await newCentre(srv);
    ok(await owner.patch('/tenant', { billing: { siblingDiscounts: { '2': 10, '3': 15 } } }));
    const full = ok(await owner.post('/billing/plans', { name: 'Full', amount: 120000 }), 201);
    const part = ok(await owner.post('/billing/plans', { name: 'Part', amount: 80000 }), 201);
    const child = new Map<string, string>(); // student id → a name the same in both centres
    const acc = new Map<string, string>(); // account name → id
    const subs = new Map<string, string>();
    const family = async (name: string, kids: { plan?: string; start?: string; end?: string }[]) => {
      const g = await mkGuardian(owner);
      const ids: string[] = [];
      for (const i of kids.keys()) {
        const s = await mkStudent(owner, { dateOfBirth: `2021-0${i + 1}-04` });
        child.set(s.id, `${name}/${i}`);
        ids.push(s.id);
        ok(await owner.put(`/students/${s.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true }));
      }
      acc.set(name, ok(await owner.post('/billing/accounts', { name, payerGuardianIds: [g.id], studentIds: ids }), 201).id);
      for (const [i, k] of kids.entries())
        if (k.plan) subs.set(`${name}/${i}`, ok(await owner.post('/billing/subscriptions', { studentId: ids[i], planId: k.plan === 'full' ? full.id : part.id, startDate: k.start ?? '2025-01-01', ...(k.end ? { endDate: k.end } : {}) }), 201).id);
    };
    await family('siblings', [{ plan: 'full' }, { plan: 'part', start: '2025-02-10' }]);
    await family('leaving', [{ plan: 'full', end: '2025-03-20' }]);
    await family('charged', [{ plan: 'part', start: '2025-03-03' }]);
    await family('changed', [{ plan: 'full' }]);
    await family('paid-ahead', [{ plan: 'part' }]);
    await family('nothing', [{}]);
    for (let i = 0; i < 6; i++) await family(`plain${i}`, [{ plan: i % 2 ? 'full' : 'part', start: `2025-0${1 + (i % 3)}-1${i}` }]);
    ok(await owner.post('/billing/charges', { accountId: acc.get('charged'), description: 'Field trip', amount: 1500, serviceDate: '2025-03-10' }), 201);
    ok(await owner.post('/billing/charges', { accountId: acc.get('charged'), description: 'Late pickup', amount: 700, serviceDate: '2025-02-27' }), 201);
    return { owner, actor: { tenantId: tenant.id, membershipId: membership.id, jobId: '00000000-0000-4000-8000-00000000000a' }, child, acc, subs };
  }
  type Fixture = Awaited<ReturnType<typeof fixture>>;

  const run = async (f: Fixture, period: string, size: number) => {
    const totals = { created: 0, rebuilt: 0, skipped: 0 };
    let after: string | undefined;
    let batches = 0;
    for (;;) {
      const r = await srv.container.billing.invoices.runBatch(f.actor, period, after, size);
      batches++;
      for (const k of ['created', 'rebuilt', 'skipped'] as const) totals[k] += r.counts[k];
      after = r.last ?? after;
      if (r.done) break;
    }
    return { totals, batches };
  };
  /** The period's invoices, ids replaced by the names both centres share. */
  const snapshot = async (f: Fixture, period: string) => {
    const names = new Map([...f.acc].map(([n, id]) => [id, n]));
    const items = ok(await f.owner.get(`/billing/invoices?period=${period}&limit=100`)).items as any[];
    return items
      .map((i) => ({ account: names.get(i.accountId), status: i.status, number: i.number, total: i.total, lines: i.lines.map((l: any) => ({ ...l, studentId: f.child.get(l.studentId) ?? l.studentId })) }))
      .sort((a, b) => (a.account! < b.account! ? -1 : 1));
  };
  const issue = async (f: Fixture, account: string, period: string) => {
    const items = ok(await f.owner.get(`/billing/invoices?period=${period}&accountId=${f.acc.get(account)}`)).items;
    ok(await f.owner.post(`/billing/invoices/${items[0].id}/issue`));
  };
  const both = async (one: Fixture, many: Fixture, step: (f: Fixture) => Promise<unknown>) => {
    await step(one);
    await step(many);
  };

  it('created, skipped, rebuilt, removed and adjusted drafts are the same; a repeat changes nothing', async () => {
    const one = await fixture();
    const many = await fixture();

    // February, then the February invoice of `changed` is issued and its subscription ends mid-February afterwards.
    expect((await run(one, '2025-02', 1)).batches).toBe(13);
    expect(await run(many, '2025-02', 50)).toEqual({ totals: { created: 9, rebuilt: 0, skipped: 3 }, batches: 1 });
    expect(await snapshot(many, '2025-02')).toEqual(await snapshot(one, '2025-02'));
    await both(one, many, (f) => issue(f, 'changed', '2025-02'));
    await both(one, many, async (f) => ok(await f.owner.patch(`/billing/subscriptions/${f.subs.get('changed/0')}`, { endDate: '2025-02-14' })));

    // March: every draft kind at once (tuition, pro-rata, sibling discount, charges, an adjustment for February).
    const a = await run(one, '2025-03', 1);
    const b = await run(many, '2025-03', 50);
    expect(b).toEqual({ totals: a.totals, batches: 1 });
    expect(b.totals).toEqual({ created: 11, rebuilt: 0, skipped: 1 });
    const march = await snapshot(many, '2025-03');
    expect(march).toEqual(await snapshot(one, '2025-03'));
    expect(march).toEqual(expected.march);
    expect(await snapshot(many, '2025-02')).toEqual(expected.february); // `changed` issued
    const kinds = new Set(march.flatMap((i) => i.lines.map((l: { kind: string }) => l.kind)));
    expect(kinds).toEqual(new Set(['tuition', 'sibling_discount', 'charge', 'adjustment']));
    expect(march.find((i) => i.account === 'changed')!.lines.map((l: { kind: string }) => l.kind)).toEqual(['adjustment']);

    // `paid-ahead`'s March invoice is issued; `leaving` now ends in February (its draft is removed); a new charge for
    // `siblings` (its draft is rebuilt). The issued one is skipped, never touched.
    await both(one, many, (f) => issue(f, 'paid-ahead', '2025-03'));
    await both(one, many, async (f) => ok(await f.owner.patch(`/billing/subscriptions/${f.subs.get('leaving/0')}`, { endDate: '2025-02-28' })));
    await both(one, many, async (f) => ok(await f.owner.post('/billing/charges', { accountId: f.acc.get('siblings'), description: 'Books', amount: 2500, serviceDate: '2025-03-05' }), 201));
    const versions = async (f: Fixture) => new Map((ok(await f.owner.get('/billing/invoices?period=2025-03&limit=100')).items as any[]).map((i) => [i.accountId, i.version]));
    const before = await versions(many);
    const c = await run(one, '2025-03', 1);
    const d = await run(many, '2025-03', 50);
    expect(d.totals).toEqual(c.totals);
    expect(d.totals).toEqual({ created: 0, rebuilt: 9, skipped: 3 });
    const rebuilt = await snapshot(many, '2025-03');
    expect(rebuilt).toEqual(await snapshot(one, '2025-03'));
    expect(rebuilt).toEqual(expected.marchAfterChanges);
    expect(rebuilt.find((i) => i.account === 'leaving')).toBeUndefined();
    expect(rebuilt.find((i) => i.account === 'paid-ahead')!.status).not.toBe('draft');
    const after = await versions(many);
    for (const [id, v] of after) expect(v).toBe(id === many.acc.get('siblings') ? before.get(id)! + 1 : before.get(id));

    // A repeat changes nothing: same ids, versions, totals and lines.
    const ids = async (f: Fixture) => JSON.stringify(ok(await f.owner.get('/billing/invoices?period=2025-03&limit=100')).items);
    const frozen = await ids(many);
    expect((await run(many, '2025-03', 50)).totals).toEqual({ created: 0, rebuilt: 9, skipped: 3 });
    expect(await ids(many)).toBe(frozen);
  });
});
