import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, forbidden, notFound, preconditionFailed, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { localDate, zonedInstant } from '../../core/time.js';
import type { ChargeStatus } from '../../models/enums.js';
import { billingRepository as repo, type AccountRow, type ChargeRow, type PlanRow, type SubscriptionRow } from './billing.repository.js';
import type { Tx } from '../../db/db.js';
import { requireId, sent } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { assertAccountVisible, audit, loadSettings, scope, settingsDto, visibleAccountIds, type BillingDeps, type BillingSettingsDto } from './common.js';
import { money } from '../../core/money.js';
import { createRecorded } from '../../kernel/recorded-create.js';

const stamps = (r: { createdAt: Date; updatedAt: Date; version: number }) => ({ createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), version: r.version });

export const planDto = (p: PlanRow) => ({ id: p.id, name: p.name, amount: p.amount, interval: p.interval, archivedAt: p.archivedAt ? p.archivedAt.toISOString() : null, ...stamps(p) });
export const subscriptionDto = (s: SubscriptionRow, accountId: string | null) => ({
  id: s.id,
  studentId: s.studentId,
  planId: s.planId,
  accountId,
  startDate: s.startDate,
  endDate: s.endDate,
  ...stamps(s),
});
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

export interface SettingsPatch {
  currency?: string;
  dueDay?: number;
  siblingDiscounts?: Record<string, number>;
  latePickup?: { after: string; graceMinutes: number; perMinute: number } | null;
  taxId?: string | null;
}
export interface AccountInput {
  name: string;
  payerGuardianIds: string[];
  studentIds: string[];
}

/** Settings, plans, accounts, subscriptions and charges (with the late-pickup fee made at check-out). */
export function createBillingSetup({ db, clock }: BillingDeps) {
  async function accountDto(tx: Tx, tenantId: string, rows: AccountRow[]) {
    const ids = rows.map((r) => r.id);
    const { payers, students } = await repo.members(tx, tenantId, ids);
    const balances = await repo.balances(tx, tenantId, ids);
    const { currency } = await loadSettings(tx, tenantId);
    return rows.map((a) => ({
      id: a.id,
      name: a.name,
      payerGuardianIds: payers.filter((p) => p.accountId === a.id).map((p) => p.guardianId),
      studentIds: students.filter((s) => s.accountId === a.id).map((s) => s.studentId),
      balance: money(balances.get(a.id) ?? 0),
      currency,
      ...stamps(a),
    }));
  }

  /** The account's payers and children must be the centre's, each payer linked to one of the children (422). */
  async function checkMembers(tx: Tx, ctx: TenantContext, accountId: string | null, payerIds: string[], studentIds: string[]) {
    const payers = [...new Set(payerIds.map((id) => requireId(id, 'Guardian')))];
    const kids = [...new Set(studentIds.map((id) => requireId(id, 'Student')))];
    if ((await repo.existingGuardians(tx, ctx.tenantId, payers)).length !== payers.length) throw notFound('Guardian');
    if ((await repo.existingStudents(tx, ctx.tenantId, kids)).length !== kids.length) throw notFound('Student');
    if ((await repo.studentsInOtherAccounts(tx, ctx.tenantId, kids, accountId)).length)
      throw conflict('A child is already in another account', [{ path: 'studentIds', message: 'already in another account' }]);
    const linked = new Set(await repo.linkedPayers(tx, ctx.tenantId, payers, kids));
    const unlinked = payers.filter((p) => !linked.has(p));
    if (unlinked.length)
      throw unprocessable('A payer is not linked to any of the account’s children', [{ path: 'payerGuardianIds', message: `not linked to the account's children: ${unlinked.join(', ')}` }]);
    return { payers, kids };
  }

  /** The currency is fixed once an invoice was issued (409); the same values again are no change (no audit row). */
  async function writeSettings(tx: Tx, ctx: TenantContext, patch: SettingsPatch): Promise<BillingSettingsDto> {
    if (!ctx.permissions.includes('billing:manage')) throw forbidden('Billing settings need the billing entitlement');
    const before = await repo.lockSettings(tx, ctx.tenantId);
    const changes = sent(patch);
    if (changes.currency !== undefined && changes.currency !== before.currency && before.lastInvoiceNumber > 0)
      throw conflict('The currency cannot change once an invoice has been issued', [{ path: 'currency', message: 'fixed once an invoice is issued' }]);
    const differs = Object.entries(changes).some(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k as keyof typeof before]));
    if (!differs) return settingsDto(before);
    const after = await repo.updateSettings(tx, ctx.tenantId, changes, before.version, clock.now());
    await audit(tx, ctx, { action: 'billing.settings.updated', targetType: 'tenant', targetId: ctx.tenantId, before: settingsDto(before), after: settingsDto(after) });
    return settingsDto(after);
  }

  return {
    async getSettings(ctx: { tenantId: string }): Promise<BillingSettingsDto> {
      return db.scoped(scope(ctx), (tx) => loadSettings(tx, ctx.tenantId));
    },

    /** PATCH /billing/settings: the settings in their own transaction. */
    async updateSettings(ctx: TenantContext, patch: SettingsPatch): Promise<BillingSettingsDto> {
      if (!ctx.permissions.includes('billing:manage')) throw forbidden('Billing settings need the billing entitlement');
      return db.scoped(scope(ctx), (tx) => writeSettings(tx, ctx, patch));
    },

    /** GET /tenant `billing` (tenancy's settings sections): read in the tenant's transaction. */
    settingsIn: loadSettings,
    /** PATCH /tenant `billing`: written in the tenant change's transaction (the caller checked billing:manage). */
    writeSettings,

    // Plans
    async createPlan(ctx: TenantContext, input: { name: string; amount: number; interval?: 'month' }) {
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        const values = { id: newId(), tenantId: ctx.tenantId, name: input.name, amount: money(input.amount), interval: 'month' as const, createdAt: now, updatedAt: now };
        return createRecorded(tx, ctx, { action: 'billing.plan.created', targetType: 'billing_plan', insert: () => repo.insertPlan(tx, values), dto: planDto });
      });
    },
    async getPlan(ctx: TenantContext, id: string) {
      const pid = requireId(id, 'Plan');
      const row = await db.scoped(scope(ctx), (tx) => repo.getPlan(tx, ctx.tenantId, pid));
      if (!row) throw notFound('Plan');
      return planDto(row);
    },
    async listPlans(ctx: TenantContext, q: { limit: number; cursor?: string; includeArchived: boolean }) {
      const rows = await db.scoped(scope(ctx), (tx) => repo.listPlans(tx, ctx.tenantId, { includeArchived: q.includeArchived, cursor: decodeUuidCursor(q.cursor), limit: q.limit }));
      return toPage(rows, q.limit, planDto, (r) => r.id);
    },
    async updatePlan(ctx: TenantContext, id: string, patch: { name?: string; amount?: number }, ifMatch?: number) {
      const pid = requireId(id, 'Plan');
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Plan',
          target: { type: 'billing_plan', id: pid },
          ifMatch,
          lock: () => repo.getPlan(tx, ctx.tenantId, pid, true),
          write: async (b) => {
            const changes = sent(patch);
            if (changes.name === b.name) delete changes.name;
            if (changes.amount === b.amount) delete changes.amount;
            if (!Object.keys(changes).length) return UNCHANGED;
            if (changes.amount !== undefined && (await repo.planInvoiced(tx, ctx.tenantId, pid)))
              throw conflict('The plan is on an issued invoice: its amount cannot change (make a new plan)', [{ path: 'amount', message: 'already invoiced' }]);
            return repo.updatePlan(tx, ctx.tenantId, pid, changes, b.version, now);
          },
          audit: (b, a) => ({ action: 'billing.plan.updated', before: planDto(b), after: planDto(a) }),
        });
        return planDto(after ?? before);
      });
    },
    async archivePlan(ctx: TenantContext, id: string, ifMatch?: number) {
      const pid = requireId(id, 'Plan');
      const now = clock.now();
      await db.scoped(scope(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Plan',
          target: { type: 'billing_plan', id: pid },
          ifMatch,
          lock: () => repo.getPlan(tx, ctx.tenantId, pid, true),
          write: (b) => (b.archivedAt ? Promise.resolve(UNCHANGED) : repo.updatePlan(tx, ctx.tenantId, pid, { archivedAt: now }, b.version, now)),
          audit: (b, a) => ({ action: 'billing.plan.archived', before: planDto(b), after: planDto(a) }),
        }),
      );
    },

    // Accounts
    async createAccount(ctx: TenantContext, input: AccountInput) {
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        const { payers, kids } = await checkMembers(tx, ctx, null, input.payerGuardianIds, input.studentIds);
        const insert = async () => {
          const row = await repo.insertAccount(tx, { id: newId(), tenantId: ctx.tenantId, name: input.name, createdAt: now, updatedAt: now });
          await repo.setMembers(tx, ctx.tenantId, row.id, payers, kids);
          return row;
        };
        return createRecorded(tx, ctx, { action: 'billing.account.created', targetType: 'billing_account', insert, dto: async (row) => (await accountDto(tx, ctx.tenantId, [row]))[0]! });
      });
    },
    async getAccount(ctx: TenantContext, id: string) {
      const aid = requireId(id, 'Account');
      return db.scoped(scope(ctx), async (tx) => {
        await assertAccountVisible(tx, ctx, aid);
        const row = await repo.getAccount(tx, ctx.tenantId, aid);
        if (!row) throw notFound('Account');
        return (await accountDto(tx, ctx.tenantId, [row]))[0]!;
      });
    },
    async listAccounts(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      return db.scoped(scope(ctx), async (tx) => {
        const rows = await repo.listAccounts(tx, ctx.tenantId, { ids: await visibleAccountIds(tx, ctx), cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        return { items: await accountDto(tx, ctx.tenantId, page.items), nextCursor: page.nextCursor };
      });
    },
    async updateAccount(ctx: TenantContext, id: string, patch: Partial<AccountInput>, ifMatch?: number) {
      const aid = requireId(id, 'Account');
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        const current = async (r: AccountRow) => (await accountDto(tx, ctx.tenantId, [r]))[0]!;
        let beforeDto: Awaited<ReturnType<typeof current>> | undefined;
        let afterDto: Awaited<ReturnType<typeof current>> | undefined;
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Account',
          target: { type: 'billing_account', id: aid },
          ifMatch,
          lock: () => repo.getAccount(tx, ctx.tenantId, aid, true),
          write: async (b) => {
            beforeDto = await current(b);
            const payers = patch.payerGuardianIds ?? beforeDto.payerGuardianIds;
            const kids = patch.studentIds ?? beforeDto.studentIds;
            const checked = await checkMembers(tx, ctx, aid, payers, kids);
            const same = (x: string[], y: string[]) => JSON.stringify([...x].sort()) === JSON.stringify([...y].sort());
            const nameChanged = patch.name !== undefined && patch.name !== b.name;
            if (!nameChanged && same(checked.payers, beforeDto.payerGuardianIds) && same(checked.kids, beforeDto.studentIds)) return UNCHANGED;
            await repo.setMembers(tx, ctx.tenantId, aid, checked.payers, checked.kids);
            const a = await repo.updateAccount(tx, ctx.tenantId, aid, nameChanged ? { name: patch.name } : {}, b.version, now);
            if (a) afterDto = await current(a);
            return a;
          },
          audit: () => ({ action: 'billing.account.updated', before: beforeDto, after: afterDto }),
        });
        return afterDto ?? (await current(after ?? before));
      });
    },

    // Subscriptions
    async listSubscriptions(ctx: TenantContext, q: { studentId?: string; accountId?: string; limit: number; cursor?: string }) {
      return db.scoped(scope(ctx), async (tx) => {
        let studentIds: string[] | null = null;
        if (q.accountId) studentIds = (await repo.members(tx, ctx.tenantId, [q.accountId.toLowerCase()])).students.map((s) => s.studentId);
        if (q.studentId) studentIds = (studentIds ?? [q.studentId.toLowerCase()]).filter((s) => s === q.studentId!.toLowerCase());
        const rows = await repo.listSubscriptions(tx, ctx.tenantId, { studentIds, cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        const items = [];
        for (const s of page.items) items.push(subscriptionDto(s, (await repo.accountOfStudent(tx, ctx.tenantId, s.studentId)) ?? null));
        return { items, nextCursor: page.nextCursor };
      });
    },
    async createSubscription(ctx: TenantContext, input: { studentId: string; planId: string; startDate: string; endDate?: string | null }) {
      const sid = requireId(input.studentId, 'Student');
      const pid = requireId(input.planId, 'Plan');
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        if (!(await repo.lockStudent(tx, ctx.tenantId, sid))) throw notFound('Student');
        const plan = await repo.getPlan(tx, ctx.tenantId, pid);
        if (!plan) throw notFound('Plan');
        if (plan.archivedAt) throw unprocessable('The plan is archived', [{ path: 'planId', message: 'archived plans take no new subscription' }]);
        const accountId = await repo.accountOfStudent(tx, ctx.tenantId, sid);
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
      return db.scoped(scope(ctx), async (tx) => {
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
        return subscriptionDto(r, (await repo.accountOfStudent(tx, ctx.tenantId, r.studentId)) ?? null);
      });
    },
    async deleteSubscription(ctx: TenantContext, id: string, ifMatch?: number) {
      const id2 = requireId(id, 'Subscription');
      await db.scoped(scope(ctx), async (tx) => {
        const s = await repo.getSubscription(tx, ctx.tenantId, id2, true);
        if (!s) throw notFound('Subscription');
        if (ifMatch !== undefined && s.version !== ifMatch) throw preconditionFailed();
        if (await repo.subscriptionInvoiced(tx, ctx.tenantId, id2)) throw conflict('The subscription was invoiced: end it instead (endDate)');
        await repo.deleteSubscription(tx, ctx.tenantId, id2);
        await audit(tx, ctx, { action: 'billing.subscription.deleted', targetType: 'billing_subscription', targetId: id2, before: subscriptionDto(s, null) });
      });
    },

    // Charges
    async listCharges(ctx: TenantContext, q: { accountId?: string; status?: ChargeStatus; limit: number; cursor?: string }) {
      const rows = await db.scoped(scope(ctx), (tx) =>
        repo.listCharges(tx, ctx.tenantId, { accountId: q.accountId?.toLowerCase(), status: q.status, cursor: decodeUuidCursor(q.cursor), limit: q.limit }),
      );
      return toPage(rows, q.limit, chargeDto, (r) => r.id);
    },
    async createCharge(ctx: TenantContext, input: { accountId: string; studentId?: string | null; description: string; amount: number; serviceDate: string }) {
      const aid = requireId(input.accountId, 'Account');
      const now = clock.now();
      return db.scoped(scope(ctx), async (tx) => {
        if (!(await repo.getAccount(tx, ctx.tenantId, aid))) throw notFound('Account');
        let studentId: string | null = null;
        if (input.studentId) {
          studentId = requireId(input.studentId, 'Student');
          if ((await repo.accountOfStudent(tx, ctx.tenantId, studentId)) !== aid)
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
      return db.scoped(scope(ctx), async (tx) => {
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
      const accountId = await repo.accountOfStudent(tx, actor.tenantId, c.studentId);
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

function checkDates(start: string, end: string | null) {
  if (end !== null && end < start) throw unprocessable('The subscription ends before it starts', [{ path: 'endDate', message: 'must not be before startDate' }]);
}

async function checkOverlap(tx: Tx, tenantId: string, studentId: string, selfId: string | null, start: string, end: string | null) {
  const subs = await repo.subscriptionsOf(tx, tenantId, [studentId]);
  const hit = subs.find((s) => s.id !== selfId && s.startDate <= (end ?? '9999-12-31') && start <= (s.endDate ?? '9999-12-31'));
  if (hit) throw conflict('The child already has a subscription for part of that time', [{ path: 'startDate', message: `overlaps subscription ${hit.id}` }]);
}
