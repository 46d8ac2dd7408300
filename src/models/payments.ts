import { foreignKey, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { billingPayments } from './billing.js';
import { tenantIdColumn } from './columns.js';

/**
 * Online payments (CONTRACT "Payments online"): every provider event that changed something, keyed by the provider's
 * event id. Inserted in the same transaction as the ledger effect, so a redelivered event finds its id and changes nothing.
 */
export const paymentEvents = pgTable(
  'payment_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    tenantId: tenantIdColumn(),
    paymentId: uuid('payment_id').notNull(),
    type: text('type').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'payment_events_pk', columns: [t.provider, t.eventId] }),
    index('payment_events_payment_idx').on(t.tenantId, t.paymentId),
    foreignKey({ name: 'payment_events_payment_fk', columns: [t.tenantId, t.paymentId], foreignColumns: [billingPayments.tenantId, billingPayments.id] }),
  ],
);
