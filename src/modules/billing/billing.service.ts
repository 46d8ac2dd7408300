import type { BillingDeps } from './common.js';
import { createBillingInvoices } from './invoices.service.js';
import { createBillingLedger } from './ledger.service.js';
import { createBillingSetup } from './setup.service.js';

export type { Notify, NotifyRequest } from './notify-port.js';

/**
 * Billing (CONTRACT "Billing"): one service made of three parts — setup (settings, plans, accounts, subscriptions,
 * charges, the late-pickup fee), invoices (runs, drafts, issue, void) and the ledger (credits, payments, refunds,
 * statements). `notify` is the notification port (a no-op until the notifications capability is wired); `enqueue`
 * is the jobs service's.
 */
export function createBillingService(deps: BillingDeps & { enqueue: Parameters<typeof createBillingInvoices>[1] }) {
  return {
    ...createBillingSetup(deps),
    invoices: createBillingInvoices(deps, deps.enqueue),
    ledger: createBillingLedger(deps),
  };
}
export type BillingService = ReturnType<typeof createBillingService>;
