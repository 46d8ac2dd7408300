import { sql } from 'drizzle-orm';
import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { memberships, tenants } from './tenancy.js';

/**
 * The transactional outbox: one row per recorded domain event (kernel/events.ts), written in the transaction of the
 * change it describes. The worker host claims due rows (`FOR UPDATE SKIP LOCKED`, a lease in `available_at`), hands
 * each to its subscribers and marks it done; `delivered` lists the subscribers that already succeeded, so a retry
 * runs only the ones that failed. At least once: subscribers are idempotent.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    payload: jsonb('payload').notNull(),
    actorMembershipId: uuid('actor_membership_id'),
    status: text('status', { enum: ['pending', 'done', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Due from then: the next try (backoff), or the end of a claim's lease. */
    availableAt: ts('available_at').notNull().defaultNow(),
    delivered: text('delivered').array().notNull().default(sql`'{}'::text[]`),
    lastError: text('last_error'),
    /** The process that recorded it: its own drain takes it at once, other processes' only after a grace period. */
    origin: text('origin'),
    /** The recording request's trace (W3C traceparent) when telemetry is on: the drain's span for the event links to it. */
    traceParent: text('trace_parent'),
    createdAt: ts('created_at').notNull().defaultNow(),
    doneAt: ts('done_at'),
  },
  (t) => [index('outbox_events_due_idx').on(t.availableAt, t.id).where(sql`status = 'pending'`)],
);

/** In-app notifications: one per member recipient of an event (a dedupe key makes a replay write nothing). */
export const notifications = pgTable(
  'notifications',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    membershipId: uuid('membership_id').notNull(),
    type: text('type').notNull(),
    title: text('title').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    readAt: ts('read_at'),
  },
  (t) => [
    unique('notifications_tenant_id_id_key').on(t.tenantId, t.id),
    uniqueIndex('notifications_dedupe_key').on(t.tenantId, t.dedupeKey),
    index('notifications_member_idx').on(t.tenantId, t.membershipId, t.createdAt, t.id),
    foreignKey({ name: 'notifications_membership_fk', columns: [t.tenantId, t.membershipId], foreignColumns: [memberships.tenantId, memberships.id] }).onDelete('cascade'),
  ],
);

/**
 * Emails to send: written `pending` in the change's transaction, sent by the worker after the commit. `data` holds only
 * what an email may carry (a first name, an amount, ids for links); `sendAfter` is the next try (or a claim's lease).
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    channel: text('channel', { enum: ['email'] }).notNull().default('email'),
    recipient: text('recipient').notNull(),
    membershipId: uuid('membership_id'),
    guardianId: uuid('guardian_id'),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    data: jsonb('data').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed', 'skipped'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    sendAfter: ts('send_after').notNull().defaultNow(),
    sentAt: ts('sent_at'),
    /** The process whose change wrote it (see outbox_events.origin). */
    origin: text('origin'),
  },
  (t) => [
    unique('notification_deliveries_tenant_id_id_key').on(t.tenantId, t.id),
    uniqueIndex('notification_deliveries_dedupe_key').on(t.tenantId, t.dedupeKey),
    index('notification_deliveries_due_idx').on(t.sendAfter, t.id).where(sql`status = 'pending'`),
    index('notification_deliveries_tenant_idx').on(t.tenantId, t.createdAt, t.id),
  ],
);

/** A member's email switch per type (no row: the type's default). */
export const notificationPreferences = pgTable(
  'notification_preferences',
  {
    tenantId: tenantIdColumn(),
    membershipId: uuid('membership_id').notNull(),
    type: text('type').notNull(),
    email: boolean('email').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'notification_preferences_pk', columns: [t.tenantId, t.membershipId, t.type] }),
    foreignKey({ name: 'notification_preferences_membership_fk', columns: [t.tenantId, t.membershipId], foreignColumns: [memberships.tenantId, memberships.id] }).onDelete('cascade'),
  ],
);

/** The centre's notification settings (`PATCH /tenant {"notifications": {…}}`); no row: the defaults. */
export const notificationSettings = pgTable('notification_settings', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  /** Local wall-clock `HH:MM` of the daily report digest. */
  digestAt: text('digest_at').notNull().default('18:00'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
