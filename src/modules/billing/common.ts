import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { localDate } from '../../core/time.js';
import { auditRepository, type AuditEntry } from '../../db/audit.repository.js';
import { billingRepository as repo, type BillingSettingsRow } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import type { Database, Tx } from '../../db/db.js';
import { access } from '../../auth/access.js';
import type { Notify } from './notify-port.js';
import { auditBy, type Creator } from '../../kernel/recorded-create.js';

/** What the billing services are handed (ports only). */
export interface BillingDeps {
  db: Pick<Database, 'scoped' | 'afterCommit'>;
  clock: Clock;
  notify: Notify;
}

/** Who acts: a member (request) or a job (the member who asked for it) — whoever may create a record. */
export type BillingActor = Creator;

export const DEFAULT_SETTINGS = { currency: 'USD', dueDay: 1, siblingDiscounts: {} as Record<string, number>, latePickup: null, taxId: null };
export type Settings = Pick<BillingSettingsRow, 'currency' | 'dueDay' | 'siblingDiscounts' | 'latePickup' | 'taxId'>;

export const settingsDto = (s: Settings | undefined) => ({
  currency: s?.currency ?? DEFAULT_SETTINGS.currency,
  dueDay: s?.dueDay ?? DEFAULT_SETTINGS.dueDay,
  siblingDiscounts: s?.siblingDiscounts ?? DEFAULT_SETTINGS.siblingDiscounts,
  latePickup: s?.latePickup ?? null,
  taxId: s?.taxId ?? null,
});
export type BillingSettingsDto = ReturnType<typeof settingsDto>;

export async function loadSettings(tx: Tx, tenantId: string) {
  return settingsDto(await repo.settings(tx, tenantId));
}

/** The centre's local date today (its time zone). */
export async function today(tx: Tx, tenantId: string, clock: Clock) {
  const c = await repo.centre(tx, tenantId);
  return localDate(clock.now(), c?.timezone ?? 'UTC');
}

export async function audit(tx: Tx, actor: BillingActor, e: Omit<AuditEntry, 'tenantId'>) {
  await auditRepository.append(tx, { ...auditBy(actor), ...e });
}

/** Many audit rows (and their outbox events) of one actor in multi-row statements, in order. */
export async function auditMany(tx: Tx, actor: BillingActor, entries: Omit<AuditEntry, 'tenantId'>[]) {
  if (!entries.length) return;
  const by = auditBy(actor);
  await auditRepository.appendMany(
    tx,
    entries.map((e) => ({ ...by, ...e })),
  );
}

/**
 * Guardians see only the accounts they pay for: null = no restriction (owner/admin), else the account ids. Every billing
 * read a guardian may make goes through here.
 */
export async function visibleAccountIds(tx: Tx, ctx: TenantContext): Promise<string[] | null> {
  // Staff with billing:manage see every account; anyone else who reads billing (a guardian, also one who is a teacher
  // too) sees only the accounts they pay for.
  if (ctx.permissions.includes('billing:manage')) return null;
  return accounts.accountIdsPaidBy(tx, ctx.tenantId, await access.guardianIds(tx, ctx));
}

export async function assertAccountVisible(tx: Tx, ctx: TenantContext, accountId: string) {
  const ids = await visibleAccountIds(tx, ctx);
  if (ids !== null && !ids.includes(accountId)) throw notFound('Account');
}

export const stamps = (r: { createdAt: Date; updatedAt: Date; version: number }) => ({ createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), version: r.version });
