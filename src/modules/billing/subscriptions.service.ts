import type { TenantContext } from '../../core/context.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { billingRepository as repo, type SubscriptionRow } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId, sent } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { audit, stamps, type BillingDeps } from './common.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const subscriptionDto = (s: SubscriptionRow, accountId: string | null) => ({
  id: s.id,
  studentId: s.studentId,
  planId: s.planId,
  accountId,
  startDate: s.startDate,
  endDate: s.endDate,
  ...stamps(s),
});

/** Subscriptions: a child on a plan from a start date (to an end date), never two at once. */
export function createBillingSubscriptions({ db, clock }: Pick<BillingDeps, 'db' | 'clock'>) {
  return {
    async listSubscriptions(ctx: TenantContext, q: { studentId?: string; accountId?: string; limit: number; cursor?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        let studentIds: string[] | null = null;
        if (q.accountId) studentIds = (await accounts.members(tx, ctx.tenantId, [q.accountId.toLowerCase()])).students.map((s) => s.studentId);
        if (q.studentId) studentIds = (studentIds ?? [q.studentId.toLowerCase()]).filter((s) => s === q.studentId!.toLowerCase());
        const rows = await repo.listSubscriptions(tx, ctx.tenantId, { studentIds, cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        const items = [];
        for (const s of page.items) items.push(subscriptionDto(s, (await accounts.accountOfStudent(tx, ctx.tenantId, s.studentId)) ?? null));
        return { items, nextCursor: page.nextCursor };
      });
    },
    async createSubscription(ctx: TenantContext, input: { studentId: string; planId: string; startDate: string; endDate?: string | null }) {
      const sid = requireId(input.studentId, 'Student');
      const pid = requireId(input.planId, 'Plan');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        if (!(await repo.lockStudent(tx, ctx.tenantId, sid))) throw notFound('Student');
        const plan = await repo.getPlan(tx, ctx.tenantId, pid);
        if (!plan) throw notFound('Plan');
        if (plan.archivedAt) throw unprocessable('The plan is archived', [{ path: 'planId', message: 'archived plans take no new subscription' }]);
        const accountId = await accounts.accountOfStudent(tx, ctx.tenantId, sid);
        if (!accountId) throw unprocessable('The child is in no billing account', [{ path: 'studentId', message: 'add the child to an account first' }]);
        checkDates(input.startDate, input.endDate ?? null);
        await checkOverlap(tx, ctx.tenantId, sid, null, input.startDate, input.endDate ?? null);
        const values = { id: newId(), tenantId: ctx.tenantId, studentId: sid, planId: pid, startDate: input.startDate, endDate: input.endDate ?? null, createdAt: now, updatedAt: now };
        return createRecorded(tx, ctx, { action: 'billing.subscription.created', targetType: 'billing_subscription', insert: () => repo.insertSubscription(tx, values), dto: (row) => subscriptionDto(row, accountId) });
      });
    },
    async updateSubscription(ctx: TenantContext, id: string, patch: { planId?: string; startDate?: string; endDate?: string | null }, ifMatch?: number) {
      const id2 = requireId(id, 'Subscription');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Subscription',
          target: { type: 'billing_subscription', id: id2 },
          ifMatch,
          lock: async () => {
            const s = await repo.getSubscription(tx, ctx.tenantId, id2);
            if (s) await repo.lockStudent(tx, ctx.tenantId, s.studentId);
            return s && repo.getSubscription(tx, ctx.tenantId, id2, true);
          },
          write: async (b) => {
            const changes = sent(patch);
            if (changes.planId !== undefined) {
              changes.planId = requireId(changes.planId, 'Plan');
              const plan = await repo.getPlan(tx, ctx.tenantId, changes.planId);
              if (!plan) throw notFound('Plan');
              if (plan.archivedAt && plan.id !== b.planId) throw unprocessable('The plan is archived', [{ path: 'planId', message: 'archived plans take no new subscription' }]);
            }
            const next = { ...b, ...changes };
            if (next.planId === b.planId && next.startDate === b.startDate && next.endDate === b.endDate) return UNCHANGED;
            checkDates(next.startDate, next.endDate);
            await checkOverlap(tx, ctx.tenantId, b.studentId, b.id, next.startDate, next.endDate);
            return repo.updateSubscription(tx, ctx.tenantId, id2, changes, b.version, now);
          },
          audit: (b, a) => ({ action: 'billing.subscription.updated', before: subscriptionDto(b, null), after: subscriptionDto(a, null) }),
        });
        const r = after ?? before;
        return subscriptionDto(r, (await accounts.accountOfStudent(tx, ctx.tenantId, r.studentId)) ?? null);
      });
    },
    async deleteSubscription(ctx: TenantContext, id: string, ifMatch?: number) {
      const id2 = requireId(id, 'Subscription');
      await db.scoped(forTenant(ctx), async (tx) => {
        const s = await repo.getSubscription(tx, ctx.tenantId, id2, true);
        if (!s) throw notFound('Subscription');
        if (ifMatch !== undefined && s.version !== ifMatch) throw preconditionFailed();
        if (await repo.subscriptionInvoiced(tx, ctx.tenantId, id2)) throw conflict('The subscription was invoiced: end it instead (endDate)');
        await repo.deleteSubscription(tx, ctx.tenantId, id2);
        await audit(tx, ctx, { action: 'billing.subscription.deleted', targetType: 'billing_subscription', targetId: id2, before: subscriptionDto(s, null) });
      });
    },

  };
}

function checkDates(start: string, end: string | null) {
  if (end !== null && end < start) throw unprocessable('The subscription ends before it starts', [{ path: 'endDate', message: 'must not be before startDate' }]);
}

async function checkOverlap(tx: Tx, tenantId: string, studentId: string, selfId: string | null, start: string, end: string | null) {
  const subs = await repo.subscriptionsOf(tx, tenantId, [studentId]);
  const hit = subs.find((s) => s.id !== selfId && s.startDate <= (end ?? '9999-12-31') && start <= (s.endDate ?? '9999-12-31'));
  if (hit) throw conflict('The child already has a subscription for part of that time', [{ path: 'startDate', message: `overlaps subscription ${hit.id}` }]);
}
