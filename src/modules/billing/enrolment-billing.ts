import type { Clock } from '../../core/clock.js';
import type { Actor } from '../../core/context.js';
import { conflict, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { billingRepository as repo } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import type { Tx } from '../../db/db.js';
import type { EnrolmentBilling } from '../enrolment/index.js';
import { createRecorded } from '../../kernel/recorded-create.js';

/**
 * Enrolment's way into billing (CONTRACT "Enrolment", accepting an offer that names a plan), inside the accept's own
 * transaction: the plan must exist and not be archived; the child goes into the oldest account the guardian pays for
 * (a new one named after the family when none) and is subscribed to the plan from the offer's start date.
 */
export function createEnrolmentBilling({ clock }: { clock: Clock }): EnrolmentBilling {
  return {
    async planIsOffered(tx: Tx, tenantId: string, planId: string) {
      const plan = await repo.getPlan(tx, tenantId, planId);
      return !!plan && !plan.archivedAt;
    },
    async enrolOnPlan(tx: Tx, ctx: Actor, input: { guardianId: string; studentId: string; planId: string; startDate: string }) {
      const now = clock.now();
      const tenantId = ctx.tenantId;
      const plan = await repo.getPlan(tx, tenantId, input.planId);
      if (!plan || plan.archivedAt) throw unprocessable('The offer names a plan that is no longer offered', [{ path: 'planId', message: 'archived or removed' }]);
      let accountId = await accounts.oldestAccountPaidBy(tx, tenantId, input.guardianId);
      if (!accountId) {
        const g = await accounts.guardian(tx, tenantId, input.guardianId);
        accountId = await createRecorded(tx, ctx, {
          action: 'billing.account.created',
          targetType: 'billing_account',
          async insert() {
            const a = await accounts.insertAccount(tx, { id: newId(), tenantId, name: `${g?.lastName ?? 'New'} family`, createdAt: now, updatedAt: now });
            await accounts.addPayer(tx, tenantId, a.id, input.guardianId);
            return a;
          },
          dto: (a) => a.id,
          after: (a) => ({ id: a.id, name: a.name, payerGuardianIds: [input.guardianId] }),
        });
      }
      const other = await accounts.accountOfStudent(tx, tenantId, input.studentId);
      if (other && other !== accountId) throw conflict('The child is already in another billing account');
      if (!other) await accounts.addStudent(tx, tenantId, accountId, input.studentId);
      await createRecorded(tx, ctx, {
        action: 'billing.subscription.created',
        targetType: 'billing_subscription',
        insert: () => repo.insertSubscription(tx, { id: newId(), tenantId, studentId: input.studentId, planId: plan.id, startDate: input.startDate, endDate: null, createdAt: now, updatedAt: now }),
        dto: (sub) => ({ id: sub.id, studentId: sub.studentId, planId: sub.planId, startDate: sub.startDate, endDate: null, accountId }),
      });
    },
  };
}
