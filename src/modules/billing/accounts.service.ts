import type { TenantContext } from '../../core/context.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { billingAccountsRepository as accounts, type AccountRow } from './billing-accounts.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { requireId } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { assertAccountVisible, loadSettings, stamps, visibleAccountIds, type BillingDeps } from './common.js';
import { money } from '../../core/money.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export interface AccountInput {
  name: string;
  payerGuardianIds: string[];
  studentIds: string[];
}

/** Billing accounts: who pays (guardians linked to the children) for which children, with the balance. */
export function createBillingAccounts({ db, clock }: Pick<BillingDeps, 'db' | 'clock'>) {
  async function accountDto(tx: Tx, tenantId: string, rows: AccountRow[]) {
    const ids = rows.map((r) => r.id);
    const { payers, students } = await accounts.members(tx, tenantId, ids);
    const balances = await accounts.balances(tx, tenantId, ids);
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
    if ((await accounts.existingGuardians(tx, ctx.tenantId, payers)).length !== payers.length) throw notFound('Guardian');
    if ((await accounts.existingStudents(tx, ctx.tenantId, kids)).length !== kids.length) throw notFound('Student');
    if ((await accounts.studentsInOtherAccounts(tx, ctx.tenantId, kids, accountId)).length)
      throw conflict('A child is already in another account', [{ path: 'studentIds', message: 'already in another account' }]);
    const linked = new Set(await accounts.linkedPayers(tx, ctx.tenantId, payers, kids));
    const unlinked = payers.filter((p) => !linked.has(p));
    if (unlinked.length)
      throw unprocessable('A payer is not linked to any of the account’s children', [{ path: 'payerGuardianIds', message: `not linked to the account's children: ${unlinked.join(', ')}` }]);
    return { payers, kids };
  }

  return {
    async createAccount(ctx: TenantContext, input: AccountInput) {
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const { payers, kids } = await checkMembers(tx, ctx, null, input.payerGuardianIds, input.studentIds);
        const insert = async () => {
          const row = await accounts.insertAccount(tx, { id: newId(), tenantId: ctx.tenantId, name: input.name, createdAt: now, updatedAt: now });
          await accounts.setMembers(tx, ctx.tenantId, row.id, payers, kids);
          return row;
        };
        return createRecorded(tx, ctx, { action: 'billing.account.created', targetType: 'billing_account', insert, dto: async (row) => (await accountDto(tx, ctx.tenantId, [row]))[0]! });
      });
    },
    async getAccount(ctx: TenantContext, id: string) {
      const aid = requireId(id, 'Account');
      return db.scoped(forTenant(ctx), async (tx) => {
        await assertAccountVisible(tx, ctx, aid);
        const row = await accounts.getAccount(tx, ctx.tenantId, aid);
        if (!row) throw notFound('Account');
        return (await accountDto(tx, ctx.tenantId, [row]))[0]!;
      });
    },
    async listAccounts(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const rows = await accounts.listAccounts(tx, ctx.tenantId, { ids: await visibleAccountIds(tx, ctx), cursor: decodeUuidCursor(q.cursor), limit: q.limit });
        const page = toPage(rows, q.limit, (r) => r, (r) => r.id);
        return { items: await accountDto(tx, ctx.tenantId, page.items), nextCursor: page.nextCursor };
      });
    },
    async updateAccount(ctx: TenantContext, id: string, patch: Partial<AccountInput>, ifMatch?: number) {
      const aid = requireId(id, 'Account');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const current = async (r: AccountRow) => (await accountDto(tx, ctx.tenantId, [r]))[0]!;
        let beforeDto: Awaited<ReturnType<typeof current>> | undefined;
        let afterDto: Awaited<ReturnType<typeof current>> | undefined;
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Account',
          target: { type: 'billing_account', id: aid },
          ifMatch,
          lock: () => accounts.getAccount(tx, ctx.tenantId, aid, true),
          write: async (b) => {
            beforeDto = await current(b);
            const payers = patch.payerGuardianIds ?? beforeDto.payerGuardianIds;
            const kids = patch.studentIds ?? beforeDto.studentIds;
            const checked = await checkMembers(tx, ctx, aid, payers, kids);
            const same = (x: string[], y: string[]) => JSON.stringify([...x].sort()) === JSON.stringify([...y].sort());
            const nameChanged = patch.name !== undefined && patch.name !== b.name;
            if (!nameChanged && same(checked.payers, beforeDto.payerGuardianIds) && same(checked.kids, beforeDto.studentIds)) return UNCHANGED;
            await accounts.setMembers(tx, ctx.tenantId, aid, checked.payers, checked.kids);
            const a = await accounts.updateAccount(tx, ctx.tenantId, aid, nameChanged ? { name: patch.name } : {}, b.version, now);
            if (a) afterDto = await current(a);
            return a;
          },
          audit: () => ({ action: 'billing.account.updated', before: beforeDto, after: afterDto }),
        });
        return afterDto ?? (await current(after ?? before));
      });
    },

  };
}
