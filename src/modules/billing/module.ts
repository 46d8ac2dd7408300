/** What the edges register of billing (read by the manifest, src/modules/index.ts). */
import { billingRunJob } from './billing-run.job.js';
import { registerBillingInvoiceRoutes } from './billing-invoices.routes.js';
import { registerBillingRoutes } from './billing.routes.js';

export const routes = { billing: registerBillingRoutes, invoices: registerBillingInvoiceRoutes };
export const jobs = { 'billing.run': billingRunJob } as const;
/** The schemas of its section of GET/PATCH /tenant (the container wires the section: tenancy's settingsSection; the manifest hands them to tenancy's routes) and of an amount (to online payments' routes). */
export { BillingSettings, BillingSettingsPatch, Money } from './billing.schemas.js';
