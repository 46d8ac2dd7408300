import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { localDate, zonedInstant } from '../../core/time.js';
import type { ChargeStatus } from '../../models/enums.js';
import { billingRepository as repo, type ChargeRow } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { audit, stamps, type BillingDeps } from './common.js';
import { money } from '../../core/money.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const chargeDto = (c: ChargeRow) => ({
  id: c.id,
  accountId: c.accountId,
  studentId: c.studentId,
  kind: c.kind,
  description: c.description,
  amount: c.amount,
  serviceDate: c.serviceDate,
  status: c.status,
  ...stamps(c),
});

/** Charges: manual ones, approved or waived pending ones, and the late-pickup fee made at check-out. */
export function createBillingCharges({ db, clock }: Pick<BillingDeps, 'db' | 'clock'>) {
  return {
    async listCharges(ctx: TenantContext, q: { accountId?: string; status?: ChargeStatus; limit: number; cursor?: string }) {
      const rows = await db.scoped(forTenant(ctx), (tx) =>
        repo.listCharges(tx, ctx.tenantId, { accountId: q.accountId?.toLowerCase(), status: q.status, cursor: decodeUuidCursor(q.cursor), limit: q.limit }),
      );
      return toPage(rows, q.limit, chargeDto, (r) => r.id);
    },
    async createCharge(ctx: TenantContext, input: { accountId: string; studentId?: string | null; description: string; amount: number; serviceDate: string }) {
      const aid = requireId(input.accountId, 'Account');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        if (!(await accounts.getAccount(tx, ctx.tenantId, aid))) throw notFound('Account');
        let studentId: string | null = null;
        if (input.studentId) {
          studentId = requireId(input.studentId, 'Student');
          if ((await accounts.accountOfStudent(tx, ctx.tenantId, studentId)) !== aid)
            throw unprocessable('The child is not in this account', [{ path: 'studentId', message: 'not a child of the account' }]);
        }
        const values = {
          id: newId(),
          tenantId: ctx.tenantId,
          accountId: aid,
          studentId,
          kind: 'manual' as const,
          description: input.description,
          amount: money(input.amount),
          serviceDate: input.serviceDate,
          status: 'approved' as const,
          decidedByMembershipId: ctx.membershipId,
          createdAt: now,
          updatedAt: now,
        };
        return createRecorded(tx, ctx, { action: 'billing.charge.created', targetType: 'billing_charge', insert: () => repo.insertCharge(tx, values), dto: chargeDto });
      });
    },
    /** pending → approved | waived (a person's decision); anything else → 409. */
    async decideCharge(ctx: TenantContext, id: string, decision: 'approved' | 'waived', ifMatch?: number) {
      const cid = requireId(id, 'Charge');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const { after } = await changeVersioned(tx, ctx, {
          what: 'Charge',
          target: { type: 'billing_charge', id: cid },
          ifMatch,
          lock: () => repo.getCharge(tx, ctx.tenantId, cid, true),
          write: (b) => {
            if (b.status !== 'pending') throw conflict(`The charge is ${b.status}, not pending`);
            return repo.updateCharge(tx, ctx.tenantId, cid, { status: decision, decidedByMembershipId: ctx.membershipId }, b.version, now);
          },
          audit: (b, a) => ({ action: decision === 'approved' ? 'billing.charge.approved' : 'billing.charge.waived', before: chargeDto(b), after: chargeDto(a) }),
        });
        return chargeDto(after!);
      });
    },

    /**
     * The late-pickup fee, called by the attendance service inside the check-out's transaction (its `onCheckOut`
     * port): with m the whole minutes past `latePickup.after` on the local wall clock, when m > grace, a `pending`
     * charge of (m − grace) × perMinute dated the check-out's local date; the first of the child's day stays, and a
     * child in no account gets none.
     */
    async lateFeeOnCheckOut(tx: Tx, actor: Actor, c: { studentId: string; attendanceId: string; checkOutAt: Date }) {
      const s = await repo.settings(tx, actor.tenantId);
      const lp = s?.latePickup;
      if (!lp) return;
      const accountId = await accounts.accountOfStudent(tx, actor.tenantId, c.studentId);
      if (!accountId) return;
      const tz = (await repo.centre(tx, actor.tenantId))?.timezone ?? 'UTC';
      const day = localDate(c.checkOutAt, tz);
      const m = Math.floor((c.checkOutAt.getTime() - zonedInstant(day, lp.after, tz).getTime()) / 60_000);
      if (m <= lp.graceMinutes) return;
      const amount = money((m - lp.graceMinutes) * lp.perMinute);
      const now = clock.now();
      const row = await repo.insertLatePickup(tx, {
        id: newId(),
        tenantId: actor.tenantId,
        accountId,
        studentId: c.studentId,
        kind: 'late_pickup',
        description: `Late pickup: ${m} minutes after ${lp.after}`,
        amount,
        serviceDate: day,
        status: 'pending',
        attendanceId: c.attendanceId,
        createdAt: now,
        updatedAt: now,
      });
      if (row)
        await audit(tx, { tenantId: actor.tenantId, membershipId: actor.membershipId, userId: actor.userId, requestId: actor.requestId, ip: actor.ip, userAgent: actor.userAgent }, {
          action: 'billing.charge.late_pickup',
          targetType: 'billing_charge',
          targetId: row.id,
          after: chargeDto(row),
        });
    },
  };
}
