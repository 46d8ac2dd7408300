/** Billing: settings, plans, accounts, subscriptions, charges, invoices and the monthly run, the ledger. */
export { createBillingService, type BillingService } from './billing.service.js';
export { createEnrolmentBilling } from './enrolment-billing.js';
export type { Notify as BillingNotify } from './notify-port.js';
/** For the demo seed (src/seed.ts). */
export { seedBilling } from './seed.js';
