/** Billing: settings, plans, accounts, subscriptions, charges, invoices and the monthly run, the ledger. */
export { createBillingService, type BillingService } from './billing.service.js';
export { createEnrolmentBilling } from './enrolment-billing.js';
/** What online payments uses of billing, in its own transactions (the container injects it: PaymentsDeps.billing). */
export { createPaymentsBilling, type PaymentsBilling } from './payments-billing.js';
export type { PaymentRow } from './billing-invoices.repository.js';
export type { BillingActor } from './common.js';
export type { Notify as BillingNotify } from './notify-port.js';
/** For the demo seed (src/seed.ts). */
export { seedBilling } from './seed.js';
