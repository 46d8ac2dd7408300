import { asc, eq } from 'drizzle-orm';
import type { TenantContext } from '../../core/context.js';
import { localDate } from '../../core/time.js';
import { guardians, rooms, studentGuardians, students } from '../../models/index.js';
import { forTenant } from '../../db/db.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import type { BillingService } from './billing.service.js';
import { addMonths, periodOf } from './dates.js';

const PLAN_BY_AGE: Record<string, number> = { infant: 180000, toddler: 150000, preschool: 120000, school_age: 60000 };

/**
 * The demo centre's billing (`npm run seed`, first run only), through the billing service as the owner: a plan per
 * age group, an account per family, subscriptions from three months back, sibling discounts and a late-pickup fee,
 * the two previous months run and issued, and a payment by the demo parent's family.
 */
export async function seedBilling(c: Pick<ServiceDeps, 'db' | 'clock'> & { billing: BillingService }, ctx: TenantContext, tz: string, demoGuardianEmail: string) {
  const { billing } = c;
  await billing.updateSettings(ctx, { dueDay: 5, siblingDiscounts: { '2': 10, '3': 15 }, latePickup: { after: '18:00', graceMinutes: 5, perMinute: 100 }, taxId: 'EIN 00-0000000 (demo)' });
  const { kids, links, adults } = await c.db.scoped(forTenant(ctx.tenantId), async (tx) => ({
    kids: await tx.select({ id: students.id, ageGroup: rooms.ageGroup }).from(students).leftJoin(rooms, eq(rooms.id, students.roomId)).orderBy(asc(students.id)),
    links: await tx.select().from(studentGuardians).orderBy(asc(studentGuardians.guardianId)),
    adults: await tx.select({ id: guardians.id, email: guardians.email, lastName: guardians.lastName }).from(guardians),
  }));
  const plans: Record<string, string> = {};
  for (const [age, amount] of Object.entries(PLAN_BY_AGE)) plans[age] = (await billing.createPlan(ctx, { name: `${age.replace('_', ' ')} (full time)`, amount })).id;
  // Each child belongs to the account of their first guardian (by id).
  const family = new Map<string, string[]>();
  for (const k of kids) {
    const g = links.find((l) => l.studentId === k.id)?.guardianId;
    if (g) family.set(g, [...(family.get(g) ?? []), k.id]);
  }
  const thisMonth = periodOf(localDate(c.clock.now(), tz));
  const start = `${addMonths(thisMonth, -3)}-01`;
  let demoAccount: string | undefined;
  for (const [guardianId, childIds] of family) {
    const adult = adults.find((a) => a.id === guardianId);
    const account = await billing.createAccount(ctx, { name: `${adult?.lastName ?? 'Family'} family`, payerGuardianIds: [guardianId], studentIds: childIds });
    if (adult?.email === demoGuardianEmail) demoAccount = account.id;
    for (const id of childIds) await billing.createSubscription(ctx, { studentId: id, planId: plans[kids.find((k) => k.id === id)?.ageGroup ?? 'preschool']!, startDate: start });
  }
  const actor = { tenantId: ctx.tenantId, membershipId: ctx.membershipId, jobId: ctx.requestId };
  for (const period of [addMonths(thisMonth, -2), addMonths(thisMonth, -1)]) {
    let after: string | undefined;
    const ids: string[] = [];
    for (;;) {
      const b = await billing.invoices.runBatch(actor, period, after, 200);
      ids.push(...b.counts.invoiceIds);
      after = b.last;
      if (b.done) break;
    }
    for (const id of ids) await billing.invoices.issue(ctx, id);
  }
  if (demoAccount) {
    const balance = (await billing.getAccount(ctx, demoAccount)).balance;
    if (balance > 0) await billing.ledger.recordPayment(ctx, demoAccount, { amount: balance, method: 'bank_transfer', receivedOn: localDate(c.clock.now(), tz), reference: 'Demo transfer' });
  }
  return { accounts: family.size };
}
