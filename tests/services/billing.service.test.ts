import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import type { TenantContext } from '../../src/core/context.js';
import { ENTITLEMENTS, permissionsFor } from '../../src/core/security/permissions.js';
import { createBillingService } from '../../src/modules/billing/billing.service.js';
import type { NotifyRequest } from '../../src/modules/billing/notify-port.js';
import { mkGuardian, mkStudent, newCentre, useServer } from '../factories/index.js';
import { waitJob } from '../api/jobs.helpers.js';

/** The billing service calls the notification port inside its transaction, with the right type, subject and payers. */
describe('billing service: the notification seam, runs in batches, the centre’s dates', () => {
  const srv = useServer();

  it('invoice.issued and payment.succeeded go to the account’s payers; a failing notify rolls the change back', async () => {
    const { owner, tenant, membership } = await newCentre(srv);
    const g1 = await mkGuardian(owner);
    const g2 = await mkGuardian(owner);
    const kid = await mkStudent(owner);
    for (const g of [g1, g2]) await owner.put(`/students/${kid.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true });
    const account = (await owner.post('/billing/accounts', { name: 'Fam', payerGuardianIds: [g1.id, g2.id], studentIds: [kid.id] })).body;
    const plan = (await owner.post('/billing/plans', { name: 'Full', amount: 120000 })).body;
    await owner.post('/billing/subscriptions', { studentId: kid.id, planId: plan.id, startDate: '2025-03-17' });
    await waitJob(owner, (await owner.post('/billing/runs', { period: '2025-03' })).body.jobId);
    const draft = (await owner.get(`/billing/invoices?accountId=${account.id}`)).body.items[0];

    const calls: { tenantId: string; req: NotifyRequest; inTx: boolean }[] = [];
    let fail = false;
    const billing = createBillingService({
      db: srv.container.db,
      clock: systemClock,
      enqueue: srv.container.jobs.enqueue,
      notify: async (tx, tenantId, req) => {
        calls.push({ tenantId, req, inTx: typeof tx?.execute === 'function' });
        if (fail) throw new Error('notify failed');
      },
    });
    const ctx: TenantContext = {
      requestId: 'req-notify',
      userId: '00000000-0000-4000-8000-000000000001',
      email: 'owner@example.test',
      sessionId: 's',
      tenantId: tenant.id,
      membershipId: membership.id,
      roles: ['owner'],
      entitlements: [...ENTITLEMENTS],
      permissions: permissionsFor(['owner'], [...ENTITLEMENTS]),
      guardianOnly: false,
      ip: null,
      userAgent: null,
    };

    // A notify that throws: the issue rolls back with it (no number taken, still a draft).
    fail = true;
    await expect(billing.invoices.issue(ctx, draft.id)).rejects.toThrow('notify failed');
    expect((await owner.get(`/billing/invoices/${draft.id}`)).body).toMatchObject({ status: 'draft', number: null });
    fail = false;
    calls.length = 0;

    const issued = await billing.invoices.issue(ctx, draft.id);
    expect(issued.number).toBe(1);
    expect(calls).toEqual([
      {
        tenantId: tenant.id,
        inTx: true,
        req: {
          type: 'invoice.issued',
          subject: { type: 'invoice', id: draft.id },
          recipients: { guardianIds: [g1.id, g2.id].sort() },
          data: expect.objectContaining({ invoiceId: draft.id, number: 1, amount: 58065, currency: 'USD', period: '2025-03' }),
        },
      },
    ]);

    const pay = await billing.ledger.recordPayment(ctx, account.id, { amount: 58065, method: 'bank_transfer', receivedOn: '2025-04-01', payerGuardianId: g2.id });
    expect(calls[1]).toEqual({
      tenantId: tenant.id,
      inTx: true,
      req: { type: 'payment.succeeded', subject: { type: 'payment', id: pay.id }, recipients: { guardianIds: [g1.id, g2.id].sort() }, data: expect.objectContaining({ paymentId: pay.id, amount: 58065 }) },
    });
    // Nothing an email may not carry: no descriptions or notes.
    for (const c of calls) for (const v of Object.values(c.req.data)) expect(typeof v === 'string' ? v.length < 60 : true).toBe(true);
    expect((await owner.get(`/billing/invoices/${draft.id}`)).body).toMatchObject({ status: 'paid', amountDue: 0 });
  });

  it('a run works in bounded batches: a run cut short after its first batch leaves whole drafts, and the re-run finishes it without duplicates', async () => {
    const { owner, tenant, membership } = await newCentre(srv);
    const plan = (await owner.post('/billing/plans', { name: 'Full', amount: 1000 })).body;
    const accounts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const g = await mkGuardian(owner);
      const kid = await mkStudent(owner);
      await owner.put(`/students/${kid.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true });
      accounts.push((await owner.post('/billing/accounts', { name: `F${i}`, payerGuardianIds: [g.id], studentIds: [kid.id] })).body.id);
      await owner.post('/billing/subscriptions', { studentId: kid.id, planId: plan.id, startDate: '2025-01-01' });
    }
    const billing = srv.container.billing;
    const actor = { tenantId: tenant.id, membershipId: membership.id, jobId: '00000000-0000-4000-8000-000000000009' };
    // The first batch of one account commits, then the "process dies".
    const first = await billing.invoices.runBatch(actor, '2025-01', undefined, 1);
    expect(first.counts).toMatchObject({ created: 1, rebuilt: 0, skipped: 0 });
    expect(first.done).toBe(false);
    // The re-run (a new job) goes over every account: the committed draft is rebuilt in place, the rest created.
    const again = await waitJob(owner, (await owner.post('/billing/runs', { period: '2025-01' })).body.jobId);
    expect(again.result).toMatchObject({ created: 2, rebuilt: 1, skipped: 0 });
    expect(again.result.invoiceIds).toContain(first.counts.invoiceIds[0]);
    const all = (await owner.get('/billing/invoices?period=2025-01')).body.items;
    expect(all).toHaveLength(3);
    expect(new Set(all.map((i: { accountId: string }) => i.accountId))).toEqual(new Set(accounts));
  });

  it('dates are the centre’s: at 00:30 UTC on 1 March a Los Angeles centre is still in February (issue date, the 2-month limit)', async () => {
    const { owner, tenant, membership } = await newCentre(srv, { timezone: 'America/Los_Angeles' });
    const g = await mkGuardian(owner);
    const kid = await mkStudent(owner);
    await owner.put(`/students/${kid.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true });
    const account = (await owner.post('/billing/accounts', { name: 'Fam', payerGuardianIds: [g.id], studentIds: [kid.id] })).body;
    const plan = (await owner.post('/billing/plans', { name: 'Full', amount: 1000 })).body;
    await owner.post('/billing/subscriptions', { studentId: kid.id, planId: plan.id, startDate: '2025-01-01' });
    await waitJob(owner, (await owner.post('/billing/runs', { period: '2025-01' })).body.jobId);
    const draft = (await owner.get(`/billing/invoices?accountId=${account.id}`)).body.items[0];
    const clock = new ManualClock(Date.parse('2027-03-01T00:30:00Z'));
    const billing = createBillingService({ db: srv.container.db, clock, enqueue: srv.container.jobs.enqueue, notify: async () => {} });
    const ctx: TenantContext = {
      requestId: 'req-la',
      userId: '00000000-0000-4000-8000-000000000001',
      email: 'owner@example.test',
      sessionId: 's',
      tenantId: tenant.id,
      membershipId: membership.id,
      roles: ['owner'],
      entitlements: [...ENTITLEMENTS],
      permissions: permissionsFor(['owner'], [...ENTITLEMENTS]),
      guardianOnly: false,
      ip: null,
      userAgent: null,
    };
    const issued = await billing.invoices.issue(ctx, draft.id);
    expect(issued).toMatchObject({ issueDate: '2027-02-28', dueDate: '2027-02-28' });
    // February + 2 = April is the furthest period a run may bill; May is 3 months ahead of the centre's February.
    await expect(billing.invoices.startRun(ctx, '2027-05')).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
  });
});
