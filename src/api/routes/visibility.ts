import { visibleThrough } from '../middleware/session.js';

/**
 * The visibility checks unsafe routes name (`visible` in defineRoute): for each resource a path can name, the owning
 * module's own read, as the caller — the same read its GET route answers with, so a caller lacking a change's
 * permission gets 404 exactly where that GET would answer 404, and 403 otherwise (CONTRACT §4).
 */
export const roomVisible = visibleThrough('centre:read', (s, ctx, p) => s.centre.rooms.get(ctx, p.id!));
export const studentVisible = visibleThrough('centre:read', (s, ctx, p) => s.centre.students.get(ctx, p.id!));
export const guardianVisible = visibleThrough('centre:read', (s, ctx, p) => s.centre.guardians.get(ctx, p.id!));
export const staffVisible = visibleThrough('staff:read', (s, ctx, p) => s.centre.staff.get(ctx, p.id!));
export const careEntryVisible = visibleThrough('day:read', (s, ctx, p) => s.careEntries.get(ctx, p.id!));
export const incidentVisible = visibleThrough('day:read', (s, ctx, p) => s.incidents.get(ctx, p.id!));
export const billingAccountVisible = visibleThrough('billing:read', (s, ctx, p) => s.billing.getAccount(ctx, p.id!));
export const invoiceVisible = visibleThrough('billing:read', (s, ctx, p) => s.billing.invoices.get(ctx, p.id!));
export const paymentVisible = visibleThrough('billing:read', (s, ctx, p) => s.billing.ledger.getPayment(ctx, p.id!));

/** For a resource with no read route of its own: a caller without the change's permission learns nothing but 403. */
export const NO_OWN_READ = { none: 'no read route of its own: a caller without the permission gets 403 whether the id exists or not' };
/** For a resource whose read needs the very permission the change needs: a caller without it can read none of them. */
export const READ_NEEDS_SAME_PERMISSION = { none: 'reading it needs the same permission as changing it: 403, whether the id exists or not' };
