import { foreignKey, index, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { AUDIENCE_TYPES } from './enums.js';
import { memberships, tenants } from './tenancy.js';

/** `room_staff` is written only by the system (end-of-day reminders) and is never shown to guardians. */

export const messages = pgTable(
  'messages',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    authorMembershipId: uuid('author_membership_id').notNull(),
    audienceType: text('audience_type', { enum: AUDIENCE_TYPES }).notNull(),
    /** The student or room id; null for the whole tenant. */
    audienceId: uuid('audience_id'),
    body: text('body').notNull(),
  },
  (t) => [
    unique('messages_tenant_id_id_key').on(t.tenantId, t.id),
    index('messages_tenant_audience_idx').on(t.tenantId, t.audienceType, t.audienceId, t.id),
  ],
);

export const messageReads = pgTable(
  'message_reads',
  {
    tenantId: tenantIdColumn(),
    messageId: uuid('message_id').notNull(),
    membershipId: uuid('membership_id').notNull(),
    readAt: ts('read_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'message_reads_pk', columns: [t.tenantId, t.membershipId, t.messageId] }),
    foreignKey({ name: 'message_reads_message_fk', columns: [t.tenantId, t.messageId], foreignColumns: [messages.tenantId, messages.id] }).onDelete('cascade'),
    foreignKey({ name: 'message_reads_membership_fk', columns: [t.tenantId, t.membershipId], foreignColumns: [memberships.tenantId, memberships.id] }).onDelete('cascade'),
  ],
);
