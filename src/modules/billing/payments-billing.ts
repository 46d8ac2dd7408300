import type { Clock } from '../../core/clock.js';
import type { Tx } from '../../db/db.js';
import { billingInvoicesRepository as inv } from './billing-invoices.repository.js';
import { billingRepository as repo } from './billing.repository.js';
import { billingAccountsRepository as accounts } from './billing-accounts.repository.js';
import { assertAccountVisible, audit, loadSettings, today } from './common.js';

/**
 * What online payments (src/modules/payments/) reads and writes of billing, each call inside the payments service's
 * own transaction (`tx`): the account, its payers and balance, the payment and refund rows, the ledger, the settings,
 * the centre's date and the audit trail. The container injects it (PaymentsDeps.billing).
 */
export function createPaymentsBilling({ clock }: { clock: Clock }) {
  return {
    /** 404 'Account' unless the member may see the account (guardians: only the accounts they pay for). */
    assertAccountVisible,
    getAccount: (tx: Tx, tenantId: string, id: string, forUpdate = false) => accounts.getAccount(tx, tenantId, id, forUpdate),
    /** The guardian ids who pay for the account. */
    async payers(tx: Tx, tenantId: string, accountId: string) {
      return (await accounts.members(tx, tenantId, [accountId])).payers.map((p) => p.guardianId);
    },
    async balance(tx: Tx, tenantId: string, accountId: string) {
      return (await accounts.balances(tx, tenantId, [accountId])).get(accountId) ?? 0;
    },
    centre: (tx: Tx, tenantId: string) => repo.centre(tx, tenantId),
    settings: loadSettings,
    /** The centre's local date today. */
    today: (tx: Tx, tenantId: string) => today(tx, tenantId, clock),
    audit,
    insertPayment: (tx: Tx, values: Parameters<typeof inv.insertPayment>[1]) => inv.insertPayment(tx, values),
    getPayment: (tx: Tx, tenantId: string, id: string, forUpdate = false) => inv.getPayment(tx, tenantId, id, forUpdate),
    insertRefund: (tx: Tx, values: Parameters<typeof inv.insertRefund>[1]) => inv.insertRefund(tx, values),
    /** Payment id → the amount its succeeded refunds (and pending ones) took back. */
    refunded: (tx: Tx, tenantId: string, paymentIds: string[]) => inv.refunded(tx, tenantId, paymentIds),
    /** One ledger entry. */
    post: (tx: Tx, values: Parameters<typeof inv.post>[1]) => inv.post(tx, values),
  };
}
export type PaymentsBilling = ReturnType<typeof createPaymentsBilling>;
