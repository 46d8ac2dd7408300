import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/app.js';
import { newId } from '../../src/core/ids.js';
import { jobs } from '../../src/models/index.js';
import { auditActions, mkGuardian, mkStudent, newCentre, useServer } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { addMember, type TestServer } from '../helpers/server.js';
import { waitJob } from './jobs.helpers.js';

/** Billing over HTTP (CONTRACT "Billing"): the worked examples, runs, numbering, the ledger, payments, guardians. */

async function run(a: Agent, period: string) {
  const r = await a.post('/billing/runs', { period });
  expect(r.status, r.text).toBe(202);
  const job = await waitJob(a, r.body.jobId);
  expect(job.status, JSON.stringify(job)).toBe('succeeded');
  return job.result as { created: number; rebuilt: number; skipped: number; invoiceIds: string[] };
}
const ok = <T = any>(r: { status: number; text: string; body: T }, status = 200) => {
  expect(r.status, r.text).toBe(status);
  return r.body;
};

async function family(a: Agent, kids: { dob: string }[], email?: string) {
  const g = await mkGuardian(a, email ? { email } : {});
  const students = [];
  for (const k of kids) {
    const s = await mkStudent(a, { dateOfBirth: k.dob });
    expect((await a.put(`/students/${s.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBeLessThan(300);
    students.push(s);
  }
  const account = ok(await a.post('/billing/accounts', { name: `Family ${g.lastName}`, payerGuardianIds: [g.id], studentIds: students.map((s) => s.id) }), 201);
  return { g, students, account };
}
const plan = async (a: Agent, amount: number) => ok(await a.post('/billing/plans', { name: `Plan ${amount}`, amount }), 201);
const subscribe = async (a: Agent, studentId: string, planId: string, startDate: string, endDate?: string) =>
  ok(await a.post('/billing/subscriptions', { studentId, planId, startDate, ...(endDate ? { endDate } : {}) }), 201);
const invoiceOf = async (a: Agent, accountId: string, period: string) => {
  const r = ok(await a.get(`/billing/invoices?accountId=${accountId}&period=${period}`));
  return r.items.find((i: any) => i.status !== 'void');
};

describe('billing', () => {
  const srv: TestServer = useServer();

  it('settings: PATCH /tenant {billing} and GET /tenant show them; bad values → 400; the currency is fixed once an invoice is issued', async () => {
    const { owner } = await newCentre(srv);
    const t = ok(await owner.get('/tenant'));
    expect(t.billing).toEqual({ currency: 'USD', dueDay: 1, siblingDiscounts: {}, latePickup: null, taxId: null });
    const p = ok(await owner.patch('/tenant', { billing: { dueDay: 5, siblingDiscounts: { '2': 10, '3': 15 }, taxId: 'TX-1', currency: 'EUR' } }));
    expect(p.billing).toMatchObject({ dueDay: 5, siblingDiscounts: { '2': 10, '3': 15 }, taxId: 'TX-1', currency: 'EUR' });
    expect(ok(await owner.get('/tenant')).billing.dueDay).toBe(5);
    for (const bad of [{ dueDay: 29 }, { siblingDiscounts: { '2': 101 } }, { latePickup: { after: '18:00', graceMinutes: 5, perMinute: 0 } }, { currency: 'euro' }, { dueDay: 1.5 }]) {
      const r = await owner.patch('/tenant', { billing: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    const { account, students } = await family(owner, [{ dob: '2021-01-01' }]);
    const pl = await plan(owner, 1000);
    await subscribe(owner, students[0]!.id, pl.id, '2025-01-01');
    await run(owner, '2025-01');
    const inv = await invoiceOf(owner, account.id, '2025-01');
    ok(await owner.post(`/billing/invoices/${inv.id}/issue`));
    expect(ok(await owner.patch('/billing/settings', { currency: 'EUR' })).currency).toBe('EUR'); // the same currency: no change
    expect((await owner.patch('/tenant', { billing: { currency: 'USD' } })).status).toBe(409);
    // An admin changes billing settings through /billing/settings (PATCH /tenant is the owner's).
    const admin = (await addMember(srv, owner, ['admin'])).agent;
    expect(ok(await admin.patch('/billing/settings', { dueDay: 7 })).dueDay).toBe(7);
  });

  it('the worked examples on invoices: 58065, 49999, sibling discounts −9500/−14250, and an adjustment of −61935', async () => {
    const { owner } = await newCentre(srv);
    ok(await owner.patch('/tenant', { billing: { siblingDiscounts: { '2': 10, '3': 15 } } }));
    const p120 = await plan(owner, 120000);
    const p95 = await plan(owner, 95000);
    const p99 = await plan(owner, 99999);

    const sib = await family(owner, [{ dob: '2020-01-01' }, { dob: '2023-05-01' }, { dob: '2022-05-01' }]);
    await subscribe(owner, sib.students[0]!.id, p120.id, '2025-01-01');
    await subscribe(owner, sib.students[1]!.id, p95.id, '2025-01-01');
    await subscribe(owner, sib.students[2]!.id, p95.id, '2025-01-01');
    const mid = await family(owner, [{ dob: '2021-01-01' }, { dob: '2021-02-02' }]);
    await subscribe(owner, mid.students[0]!.id, p120.id, '2025-03-17');
    await subscribe(owner, mid.students[1]!.id, p99.id, '2025-04-16');
    const left = await family(owner, [{ dob: '2021-01-01' }]);
    const leaving = await subscribe(owner, left.students[0]!.id, p120.id, '2025-01-01');

    const r1 = await run(owner, '2025-03');
    expect(r1).toMatchObject({ created: 3, rebuilt: 0, skipped: 0 });
    const s = await invoiceOf(owner, sib.account.id, '2025-03');
    expect(s.status).toBe('draft');
    expect(s.lines.filter((l: any) => l.kind === 'sibling_discount').map((l: any) => [l.studentId, l.amount])).toEqual([
      [sib.students[1]!.id, -9500],
      [sib.students[2]!.id, -14250],
    ]);
    expect(s.total).toBe(120000 + 95000 + 95000 - 9500 - 14250);
    const m = await invoiceOf(owner, mid.account.id, '2025-03');
    expect(m.lines).toEqual([{ kind: 'tuition', studentId: mid.students[0]!.id, description: expect.any(String), amount: 58065, serviceFrom: '2025-03-17', serviceTo: '2025-03-31' }]);
    const l = await invoiceOf(owner, left.account.id, '2025-03');
    expect(l.total).toBe(120000);

    // Re-running rebuilds the drafts in place (same ids) and leaves issued invoices alone.
    ok(await owner.post(`/billing/invoices/${l.id}/issue`));
    const r2 = await run(owner, '2025-03');
    expect(r2).toMatchObject({ created: 0, rebuilt: 2, skipped: 1 });
    expect(r2.invoiceIds.sort()).toEqual([s.id, m.id].sort());

    // The child left on 15 March after March was billed: April carries −61935 for March.
    ok(await owner.patch(`/billing/subscriptions/${leaving.id}`, { endDate: '2025-03-15' }));
    expect((await owner.delete(`/billing/subscriptions/${leaving.id}`)).status).toBe(409); // invoiced: end it instead
    await run(owner, '2025-04');
    const apr = await invoiceOf(owner, left.account.id, '2025-04');
    expect(apr.lines).toEqual([{ kind: 'adjustment', studentId: left.students[0]!.id, description: expect.any(String), amount: -61935, serviceFrom: '2025-03-01', serviceTo: '2025-03-31' }]);
    const aprMid = await invoiceOf(owner, mid.account.id, '2025-04');
    expect(aprMid.lines.find((x: any) => x.studentId === mid.students[1]!.id).amount).toBe(49999);
    // A total ≤ 0 is paid at once.
    const issued = ok(await owner.post(`/billing/invoices/${apr.id}/issue`));
    expect(issued).toMatchObject({ status: 'paid', amountDue: 0, total: -61935 });
    // The adjustment is billed now: running April again (a new draft after a void) would not repeat it for May.
    await run(owner, '2025-05');
    expect(await invoiceOf(owner, left.account.id, '2025-05')).toBeUndefined();
  });

  it('numbers are 1, 2, 3 … per centre, never reused or skipped; void posts −total; drafts are deleted, not voided', async () => {
    const { owner } = await newCentre(srv);
    const pl = await plan(owner, 5000);
    const fams = [];
    for (let i = 0; i < 3; i++) {
      const f = await family(owner, [{ dob: '2021-01-01' }]);
      await subscribe(owner, f.students[0]!.id, pl.id, '2025-01-01');
      fams.push(f);
    }
    await run(owner, '2025-02');
    const invs = [];
    for (const f of fams) invs.push(await invoiceOf(owner, f.account.id, '2025-02'));
    const first = ok(await owner.post(`/billing/invoices/${invs[0].id}/issue`));
    expect(first).toMatchObject({ number: 1, status: 'open', amountPaid: 0, amountDue: 5000, issueDate: expect.any(String) });
    expect(first.dueDate >= first.issueDate).toBe(true);
    expect((await owner.post(`/billing/invoices/${invs[0].id}/issue`)).status).toBe(409); // not a draft: no number taken
    const voided = ok(await owner.post(`/billing/invoices/${invs[0].id}/void`, { reason: 'Wrong family' }));
    expect(voided).toMatchObject({ status: 'void', number: 1, amountDue: 0, amountPaid: 0 });
    expect((await owner.post(`/billing/invoices/${invs[0].id}/void`, { reason: 'again' })).status).toBe(409);
    expect((await owner.post(`/billing/invoices/${invs[1].id}/void`, { reason: 'draft' })).status).toBe(409);
    expect(ok(await owner.post(`/billing/invoices/${invs[1].id}/issue`)).number).toBe(2);
    expect((await owner.delete(`/billing/invoices/${invs[1].id}`)).status).toBe(409);
    expect((await owner.delete(`/billing/invoices/${invs[2].id}`)).status).toBe(204);
    expect((await owner.get(`/billing/invoices/${invs[2].id}`)).status).toBe(404);
    const ledger = ok(await owner.get(`/billing/accounts/${fams[0]!.account.id}/ledger`));
    expect(ledger.items.map((e: any) => [e.type, e.amount])).toEqual([
      ['invoice', 5000],
      ['void', -5000],
    ]);
    expect(ok(await owner.get(`/billing/accounts/${fams[0]!.account.id}`)).balance).toBe(0);
    // After a void the period can be billed again: a new draft, and its number is the next one (3).
    const again = await run(owner, '2025-02');
    expect(again.created).toBe(2); // the voided family's account, and the deleted draft's
    const redo = await invoiceOf(owner, fams[0]!.account.id, '2025-02');
    expect(redo.id).not.toBe(invs[0].id);
    expect(ok(await owner.post(`/billing/invoices/${redo.id}/issue`)).number).toBe(3);
  });

  it('a second run of a period while one runs → 409; a period more than 2 months ahead → 422; a malformed one → 400', async () => {
    const { owner, tenant } = await newCentre(srv);
    await srv.container.db.raw.insert(jobs).values({ id: newId(), tenantId: tenant.id, type: 'billing.run', payload: { tenantId: tenant.id, period: '2025-06', createdByMembershipId: null }, status: 'running' });
    const r = await owner.post('/billing/runs', { period: '2025-06' });
    expect(r.status, r.text).toBe(409);
    expect((await owner.post('/billing/runs', { period: '2099-01' })).status).toBe(422);
    expect((await owner.post('/billing/runs', { period: '2025-13' })).status).toBe(400);
  });

  it('payments pay the oldest due first; a refund re-opens the newest; balance = sum of entries; credits; statements and the tax statement', async () => {
    const { owner } = await newCentre(srv);
    ok(await owner.patch('/tenant', { billing: { taxId: 'EIN 12-345' } }));
    const pl = await plan(owner, 10000);
    const f = await family(owner, [{ dob: '2021-01-01' }]);
    await subscribe(owner, f.students[0]!.id, pl.id, '2025-01-01');
    await run(owner, '2025-01');
    await run(owner, '2025-02');
    const jan = ok(await owner.post(`/billing/invoices/${(await invoiceOf(owner, f.account.id, '2025-01')).id}/issue`));
    const feb = ok(await owner.post(`/billing/invoices/${(await invoiceOf(owner, f.account.id, '2025-02')).id}/issue`));
    const pay = await owner.post(`/billing/accounts/${f.account.id}/payments`, { amount: 15000, method: 'cash', receivedOn: '2025-02-10', payerGuardianId: f.g.id }, { 'idempotency-key': 'pay-1' });
    expect(pay.status, pay.text).toBe(201);
    expect(pay.body).toMatchObject({ status: 'succeeded', amount: 15000, refunded: 0, method: 'cash', payerGuardianId: f.g.id, receivedOn: '2025-02-10' });
    const replay = await owner.post(`/billing/accounts/${f.account.id}/payments`, { amount: 15000, method: 'cash', receivedOn: '2025-02-10', payerGuardianId: f.g.id }, { 'idempotency-key': 'pay-1' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(pay.body.id);
    expect(ok(await owner.get(`/billing/invoices/${jan.id}`))).toMatchObject({ status: 'paid', amountPaid: 10000, amountDue: 0 });
    expect(ok(await owner.get(`/billing/invoices/${feb.id}`))).toMatchObject({ status: 'open', amountPaid: 5000, amountDue: 5000 });
    expect(ok(await owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(5000);

    // A refund of 8000 re-opens the newest first: February loses all of its 5000, January 3000.
    expect((await owner.post(`/billing/payments/${pay.body.id}/refunds`, { amount: 15001, reason: 'too much' })).status).toBe(422);
    const refund = ok(await owner.post(`/billing/payments/${pay.body.id}/refunds`, { amount: 8000, reason: 'Overpaid' }), 201);
    expect(refund).toMatchObject({ paymentId: pay.body.id, amount: 8000, status: 'succeeded' });
    expect(ok(await owner.get(`/billing/payments/${pay.body.id}`)).refunded).toBe(8000);
    expect(ok(await owner.get(`/billing/invoices/${feb.id}`))).toMatchObject({ status: 'open', amountPaid: 0, amountDue: 10000 });
    expect(ok(await owner.get(`/billing/invoices/${jan.id}`))).toMatchObject({ status: 'open', amountPaid: 7000, amountDue: 3000 });

    const credit = ok(await owner.post(`/billing/accounts/${f.account.id}/credits`, { amount: 3000, reason: 'Goodwill' }), 201);
    expect(credit).toMatchObject({ type: 'credit', amount: -3000 });
    expect(ok(await owner.get(`/billing/invoices/${jan.id}`)).status).toBe('paid');
    const ledger = ok(await owner.get(`/billing/accounts/${f.account.id}/ledger?limit=2`));
    expect(ledger.items).toHaveLength(2);
    expect(ledger.nextCursor).toBeTruthy();
    const all = ok(await owner.get(`/billing/accounts/${f.account.id}/ledger`)).items;
    expect(all.map((e: any) => e.type)).toEqual(['invoice', 'invoice', 'payment', 'refund', 'credit']);
    const balance = ok(await owner.get(`/billing/accounts/${f.account.id}`)).balance;
    expect(balance).toBe(all.reduce((s: number, e: any) => s + e.amount, 0));
    expect(balance).toBe(10000);

    const st = ok(await owner.get(`/billing/accounts/${f.account.id}/statement?from=2025-02-01&to=2025-02-28`));
    expect(st.entries.map((e: any) => e.type)).toEqual(['payment']);
    expect(st.closingBalance - st.openingBalance).toBe(-15000);
    expect((await owner.get(`/billing/accounts/${f.account.id}/statement?from=2025-01-01&to=2026-06-01`)).status).toBe(400);
    expect((await owner.get(`/billing/accounts/${f.account.id}/statement?from=2025-02-30&to=2025-03-01`)).status).toBe(400);

    const tax = ok(await owner.get(`/billing/accounts/${f.account.id}/tax-statement?year=2025`));
    expect(tax.centre).toEqual({ name: expect.any(String), taxId: 'EIN 12-345' });
    // The payment counts in 2025 (received then); the refund in the year it succeeded (today's).
    const refundYear = new Date().getUTCFullYear();
    expect(tax.payers).toEqual([{ guardianId: f.g.id, name: expect.stringContaining('Pat'), paid: refundYear === 2025 ? 7000 : 15000 }]);
    expect(tax.totalPaid).toBe(refundYear === 2025 ? 7000 : 15000);
    expect(ok(await owner.get(`/billing/accounts/${f.account.id}/tax-statement?year=2019`)).payers).toEqual([]);
  });

  it('the ledger is append-only as the app role: UPDATE and DELETE are refused', async () => {
    const { owner, tenant } = await newCentre(srv);
    const f = await family(owner, [{ dob: '2021-01-01' }]);
    ok(await owner.post(`/billing/accounts/${f.account.id}/credits`, { amount: 100, reason: 'x' }), 201);
    const { db } = srv.container;
    const refusal = async (p: Promise<unknown>) => {
      const e: any = await p.then(
        () => undefined,
        (err) => err,
      );
      expect(e, 'the statement was not refused').toBeDefined();
      return String(e.cause?.message ?? e.message);
    };
    // As the app's role (every scoped transaction switches to it): no UPDATE/DELETE grant.
    expect(await refusal(db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`update billing_ledger_entries set amount = 0`)))).toMatch(/permission denied|append-only/);
    expect(await refusal(db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`delete from billing_ledger_entries`)))).toMatch(/permission denied|append-only/);
    // Even the owner of the table (the migration's role) is refused by the trigger.
    expect(await refusal(db.raw.execute(sql`update billing_ledger_entries set amount = 0`))).toMatch(/append-only/);
    expect(await refusal(db.raw.execute(sql`delete from billing_ledger_entries`))).toMatch(/append-only/);
    expect(ok(await owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(-100);
  });

  it('accounts: a child in another account → 409, a payer not linked → 422, unknown ids → 404; subscriptions: no account → 422, overlap → 409, archived plan → 422', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(owner, [{ dob: '2021-01-01' }]);
    const stranger = await mkGuardian(owner);
    const loner = await mkStudent(owner);
    expect((await owner.post('/billing/accounts', { name: 'Dup', payerGuardianIds: [f.g.id], studentIds: [f.students[0]!.id] })).status).toBe(409);
    expect((await owner.post('/billing/accounts', { name: 'Odd', payerGuardianIds: [stranger.id], studentIds: [loner.id] })).status).toBe(422);
    expect((await owner.post('/billing/accounts', { name: 'X', payerGuardianIds: [newId()], studentIds: [] })).status).toBe(404);
    expect((await owner.post('/billing/accounts', { name: 'X', payerGuardianIds: [], studentIds: [] })).status).toBe(400);
    // Changes are audited with before and after.
    const renamed = ok(await owner.patch(`/billing/accounts/${f.account.id}`, { name: 'The Renamed Family' }, { 'if-match': `"${f.account.version}"` }));
    expect(renamed).toMatchObject({ name: 'The Renamed Family', version: f.account.version + 1, studentIds: [f.students[0]!.id] });
    expect((await owner.patch(`/billing/accounts/${f.account.id}`, { name: 'Stale' }, { 'if-match': `"${f.account.version}"` })).status).toBe(412);
    const [row] = await auditActions(owner, 'billing.account.updated');
    expect(row.before).toMatchObject({ name: f.account.name });
    expect(row.after).toMatchObject({ name: 'The Renamed Family' });
    const pl = await plan(owner, 100);
    expect((await owner.post('/billing/subscriptions', { studentId: loner.id, planId: pl.id, startDate: '2025-01-01' })).status).toBe(422);
    await subscribe(owner, f.students[0]!.id, pl.id, '2025-01-01', '2025-06-30');
    expect((await owner.post('/billing/subscriptions', { studentId: f.students[0]!.id, planId: pl.id, startDate: '2025-06-30' })).status).toBe(409);
    const later = await subscribe(owner, f.students[0]!.id, pl.id, '2025-07-01');
    expect((await owner.post('/billing/subscriptions', { studentId: f.students[0]!.id, planId: pl.id, startDate: '2025-07-01', endDate: '2025-02-01' })).status).toBe(422);
    const list = ok(await owner.get(`/billing/subscriptions?accountId=${f.account.id}`));
    expect(list.items).toHaveLength(2);
    expect((await owner.delete(`/billing/subscriptions/${later.id}`)).status).toBe(204);
    expect((await owner.delete(`/billing/plans/${pl.id}`)).status).toBe(204);
    expect(ok(await owner.get('/billing/plans')).items.map((p: any) => p.id)).not.toContain(pl.id);
    expect(ok(await owner.get('/billing/plans?includeArchived=true')).items.map((p: any) => p.id)).toContain(pl.id);
    expect((await owner.post('/billing/subscriptions', { studentId: f.students[0]!.id, planId: pl.id, startDate: '2025-08-01' })).status).toBe(422);
    // A plan's amount cannot change once it is on an issued invoice.
    const p2 = await plan(owner, 700);
    ok(await owner.patch(`/billing/plans/${p2.id}`, { amount: 800 }));
    ok(await owner.patch(`/billing/subscriptions/${later.id.length ? (await subscribe(owner, f.students[0]!.id, p2.id, '2024-01-01', '2024-01-31')).id : ''}`, { endDate: '2024-01-31' }));
    await run(owner, '2024-01');
    ok(await owner.post(`/billing/invoices/${(await invoiceOf(owner, f.account.id, '2024-01')).id}/issue`));
    expect((await owner.patch(`/billing/plans/${p2.id}`, { amount: 900 })).status).toBe(409);
    expect(ok(await owner.patch(`/billing/plans/${p2.id}`, { name: 'Renamed' })).name).toBe('Renamed');
    // Charges: approved on creation; approve/waive only a pending one; bad input → 400.
    const ch = ok(await owner.post('/billing/charges', { accountId: f.account.id, description: 'Field trip', amount: 1500, serviceDate: '2025-01-10' }), 201);
    expect(ch.status).toBe('approved');
    expect((await owner.post(`/billing/charges/${ch.id}/waive`)).status).toBe(409);
    expect((await owner.post('/billing/charges', { accountId: f.account.id, description: 'x', amount: 0, serviceDate: '2025-01-10' })).status).toBe(400);
    expect((await owner.post('/billing/charges', { accountId: f.account.id, description: 'x', amount: 1.5, serviceDate: '2025-01-10' })).status).toBe(400);
    expect((await owner.post('/billing/charges', { accountId: f.account.id, studentId: loner.id, description: 'x', amount: 5, serviceDate: '2025-01-10' })).status).toBe(422);
  });

  it('late pickup: a pending charge at check-out from the local wall clock, one per child per day, none without an account; approved charges are billed once', async () => {
    const { owner } = await newCentre(srv, { timezone: 'America/Los_Angeles' });
    ok(await owner.patch('/tenant', { billing: { latePickup: { after: '18:00', graceMinutes: 5, perMinute: 100 } } }));
    const f = await family(owner, [{ dob: '2021-01-01' }]);
    const loner = await mkStudent(owner);
    // Yesterday (local) at 17:00 and 18:12:40 Los Angeles time: 12 whole minutes past 18:00, grace 5 → 700.
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const at = (hhmmss: string) => {
      const guess = new Date(`${day}T${hhmmss}Z`);
      const off = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', timeZoneName: 'shortOffset' }).formatToParts(guess).find((p) => p.type === 'timeZoneName')!.value.replace('GMT', '')) || 0;
      return new Date(guess.getTime() - off * 3_600_000).toISOString();
    };
    for (const s of [f.students[0]!, loner]) {
      ok(await owner.post('/attendance/check-in', { studentId: s.id, at: at('17:00:00') }), 201);
      ok(await owner.post('/attendance/check-out', { studentId: s.id, at: at('18:12:40') }));
    }
    // A second stay the same day: the first fee stays.
    ok(await owner.post('/attendance/check-in', { studentId: f.students[0]!.id, at: at('18:20:00') }), 201);
    ok(await owner.post('/attendance/check-out', { studentId: f.students[0]!.id, at: at('18:40:00') }));
    const charges = ok(await owner.get(`/billing/charges?status=pending`)).items;
    expect(charges).toEqual([expect.objectContaining({ accountId: f.account.id, studentId: f.students[0]!.id, kind: 'late_pickup', amount: 700, serviceDate: day, status: 'pending' })]);
    // Pending charges are never billed; once approved, the next run bills it once.
    await run(owner, day.slice(0, 7));
    expect(await invoiceOf(owner, f.account.id, day.slice(0, 7))).toBeUndefined();
    expect(ok(await owner.post(`/billing/charges/${charges[0].id}/approve`)).status).toBe('approved');
    expect((await owner.post(`/billing/charges/${charges[0].id}/waive`)).status).toBe(409);
    await run(owner, day.slice(0, 7));
    const inv = await invoiceOf(owner, f.account.id, day.slice(0, 7));
    expect(inv.lines).toEqual([expect.objectContaining({ kind: 'charge', amount: 700, serviceFrom: day })]);
  });

  it('guardians see only the accounts they pay for, read only, never drafts; a member without `billing` gets 403; another centre’s ids are 404', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const pl = await plan(owner, 2000);
    const gm = await addMember(srv, owner, ['guardian']);
    const mine = await family(owner, [{ dob: '2021-01-01' }], gm.email);
    const theirs = await family(owner, [{ dob: '2021-01-01' }]);
    for (const f of [mine, theirs]) await subscribe(owner, f.students[0]!.id, pl.id, '2025-01-01');
    await run(owner, '2025-01');
    await run(owner, '2025-02');
    const janMine = await invoiceOf(owner, mine.account.id, '2025-01');
    ok(await owner.post(`/billing/invoices/${janMine.id}/issue`));
    const febMine = await invoiceOf(owner, mine.account.id, '2025-02');
    const pay = ok(await owner.post(`/billing/accounts/${mine.account.id}/payments`, { amount: 500, method: 'check', receivedOn: '2025-01-20' }), 201);

    const g = gm.agent;
    expect(ok(await g.get('/billing/accounts')).items.map((a: any) => a.id)).toEqual([mine.account.id]);
    expect(ok(await g.get(`/billing/accounts/${mine.account.id}`)).balance).toBe(1500);
    expect((await g.get(`/billing/accounts/${theirs.account.id}`)).status).toBe(404);
    expect(ok(await g.get('/billing/invoices')).items.map((i: any) => i.id)).toEqual([janMine.id]);
    expect((await g.get(`/billing/invoices/${febMine.id}`)).status).toBe(404); // a draft
    expect((await g.get(`/billing/accounts/${theirs.account.id}/ledger`)).status).toBe(404);
    expect(ok(await g.get(`/billing/accounts/${mine.account.id}/ledger`)).items).toHaveLength(2);
    expect(ok(await g.get('/billing/payments')).items.map((p: any) => p.id)).toEqual([pay.id]);
    expect(ok(await g.get(`/billing/accounts/${mine.account.id}/statement?from=2025-01-01&to=2025-12-31`)).entries).toHaveLength(1);
    expect((await g.post(`/billing/accounts/${mine.account.id}/credits`, { amount: 1, reason: 'x' })).status).toBe(403);
    expect((await g.get('/billing/plans')).status).toBe(403);

    const noBilling = (await addMember(srv, owner, ['admin'], { entitlements: ['messaging'] })).agent;
    for (const [m, p] of [
      ['GET', '/billing/accounts'],
      ['GET', `/billing/invoices/${janMine.id}`],
      ['POST', '/billing/runs'],
      ['GET', '/billing/settings'],
    ] as const)
      expect((await noBilling.request(m, p, m === 'POST' ? { body: { period: '2025-01' } } : {})).status, `${m} ${p}`).toBe(403);
    // Every billing route of the route table, whatever the input: 403 before anything else.
    const billingRoutes = routeTable().filter((r) => r.path.startsWith('/billing/'));
    expect(billingRoutes.length).toBeGreaterThan(30);
    for (const r of billingRoutes) {
      const res = await noBilling.request(r.method, r.path.replace('{id}', janMine.id), r.method === 'GET' || r.method === 'DELETE' ? {} : { body: {} });
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect((await noBilling.patch('/tenant', { billing: { dueDay: 3 } })).status).toBe(403);
    expect(ok(await noBilling.get('/tenant')).billing).toBeUndefined();

    for (const p of [`/billing/accounts/${mine.account.id}`, `/billing/invoices/${janMine.id}`, `/billing/payments/${pay.id}`, `/billing/accounts/${mine.account.id}/ledger`])
      expect((await other.owner.get(p)).status, p).toBe(404);
    expect((await other.owner.post(`/billing/invoices/${febMine.id}/issue`)).status).toBe(404);
  });

  it('concurrency: issues at once take consecutive numbers, none twice; runs of one period at once never make two drafts for an account', async () => {
    const { owner } = await newCentre(srv);
    const pl = await plan(owner, 300);
    for (let i = 0; i < 4; i++) {
      const f = await family(owner, [{ dob: '2021-01-01' }]);
      await subscribe(owner, f.students[0]!.id, pl.id, '2025-01-01');
    }
    await run(owner, '2025-01');
    const drafts = ok(await owner.get('/billing/invoices?period=2025-01&status=draft')).items;
    expect(drafts).toHaveLength(4);
    const issued = await Promise.all(drafts.map((d: any) => owner.post(`/billing/invoices/${d.id}/issue`)));
    expect(issued.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(issued.map((r) => r.body.number).sort()).toEqual([1, 2, 3, 4]);
    // Each run is 202 or, while another of the period is queued or running, 409 (a run that already finished lets the
    // next one start): however they interleave, the period ends with one draft per account.
    const runs = await Promise.all([0, 1, 2].map(() => owner.post('/billing/runs', { period: '2025-02' })));
    for (const r of runs) expect([202, 409]).toContain(r.status);
    for (const r of runs.filter((x) => x.status === 202)) expect((await waitJob(owner, r.body.jobId)).status).toBe('succeeded');
    expect(ok(await owner.get('/billing/invoices?period=2025-02')).items).toHaveLength(4);
  });
});
