import type { TenantContext } from '../../core/context.js';
import { conflict, forbidden, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { billingRepository as repo, type PlanRow } from './billing.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId, sent } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { audit, loadSettings, settingsDto, stamps, type BillingDeps, type BillingSettingsDto } from './common.js';
import { money } from '../../core/money.js';
import { createBillingAccounts } from './accounts.service.js';
import { createBillingCharges } from './charges.service.js';
import { createBillingSubscriptions } from './subscriptions.service.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const planDto = (p: PlanRow) => ({ id: p.id, name: p.name, amount: p.amount, interval: p.interval, archivedAt: p.archivedAt ? p.archivedAt.toISOString() : null, ...stamps(p) });
export interface SettingsPatch {
  currency?: string;
  dueDay?: number;
  siblingDiscounts?: Record<string, number>;
  latePickup?: { after: string; graceMinutes: number; perMinute: number } | null;
  taxId?: string | null;
}

/**
 * Billing's setup: the settings and plans here, accounts, subscriptions and charges (with the late-pickup fee made at
 * check-out) in their own files.
 */
export function createBillingSetup(deps: BillingDeps) {
  const { db, clock } = deps;

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
    ...createBillingAccounts(deps),
    ...createBillingSubscriptions(deps),
    ...createBillingCharges(deps),
    async getSettings(ctx: { tenantId: string }): Promise<BillingSettingsDto> {
      return db.scoped(forTenant(ctx), (tx) => loadSettings(tx, ctx.tenantId));
    },

    /** PATCH /billing/settings: the settings in their own transaction. */
    async updateSettings(ctx: TenantContext, patch: SettingsPatch): Promise<BillingSettingsDto> {
      if (!ctx.permissions.includes('billing:manage')) throw forbidden('Billing settings need the billing entitlement');
      return db.scoped(forTenant(ctx), (tx) => writeSettings(tx, ctx, patch));
    },

    /** GET /tenant `billing` (tenancy's settings sections): read in the tenant's transaction. */
    settingsIn: loadSettings,
    /** PATCH /tenant `billing`: written in the tenant change's transaction (the caller checked billing:manage). */
    writeSettings,

    // Plans
    async createPlan(ctx: TenantContext, input: { name: string; amount: number; interval?: 'month' }) {
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const values = { id: newId(), tenantId: ctx.tenantId, name: input.name, amount: money(input.amount), interval: 'month' as const, createdAt: now, updatedAt: now };
        return createRecorded(tx, ctx, { action: 'billing.plan.created', targetType: 'billing_plan', insert: () => repo.insertPlan(tx, values), dto: planDto });
      });
    },
    async getPlan(ctx: TenantContext, id: string) {
      const pid = requireId(id, 'Plan');
      const row = await db.scoped(forTenant(ctx), (tx) => repo.getPlan(tx, ctx.tenantId, pid));
      if (!row) throw notFound('Plan');
      return planDto(row);
    },
    async listPlans(ctx: TenantContext, q: { limit: number; cursor?: string; includeArchived: boolean }) {
      const rows = await db.scoped(forTenant(ctx), (tx) => repo.listPlans(tx, ctx.tenantId, { includeArchived: q.includeArchived, cursor: decodeUuidCursor(q.cursor), limit: q.limit }));
      return toPage(rows, q.limit, planDto, (r) => r.id);
    },
    async updatePlan(ctx: TenantContext, id: string, patch: { name?: string; amount?: number }, ifMatch?: number) {
      const pid = requireId(id, 'Plan');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
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
      await db.scoped(forTenant(ctx), (tx) =>
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
  };
}
