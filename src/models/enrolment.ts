import { sql } from 'drizzle-orm';
import { boolean, date, foreignKey, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { rooms } from './centre.js';
import { APPLICATION_SOURCES, APPLICATION_STATUSES } from './enums.js';
import { tenants } from './tenancy.js';

/**
 * Enrolment (CONTRACT §5 "Enrolment"): families who want a place. An application carries its offer inline (one live
 * offer at a time); `status` stores `offered` even after the deadline — an offer is expired from `offer_expires_at` on,
 * computed on every read, whatever a sweeper has done.
 */
export const applicationForms = pgTable(
  'application_forms',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** SHA-256 of the token's 256 random bits (the token is shown once). */
    tokenHash: text('token_hash').notNull(),
    createdByMembershipId: uuid('created_by_membership_id'),
    deletedAt: ts('deleted_at'),
  },
  (t) => [unique('application_forms_tenant_id_id_key').on(t.tenantId, t.id), index('application_forms_tenant_live_idx').on(t.tenantId, t.id).where(sql`deleted_at is null`)],
);

export const applications = pgTable(
  'applications',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    status: text('status', { enum: APPLICATION_STATUSES }).notNull().default('waitlisted'),
    source: text('source', { enum: APPLICATION_SOURCES }).notNull(),
    formId: uuid('form_id'),
    childFirstName: text('child_first_name').notNull(),
    childLastName: text('child_last_name').notNull(),
    childDateOfBirth: date('child_date_of_birth', { mode: 'string' }).notNull(),
    guardianFirstName: text('guardian_first_name').notNull(),
    guardianLastName: text('guardian_last_name').notNull(),
    /** Lower-cased. */
    guardianEmail: text('guardian_email').notNull(),
    guardianPhone: text('guardian_phone'),
    desiredStartDate: date('desired_start_date', { mode: 'string' }).notNull(),
    roomId: uuid('room_id'),
    /** Not a foreign key: an id that is not one of the centre's children simply gives no priority. */
    siblingStudentId: uuid('sibling_student_id'),
    staffChild: boolean('staff_child').notNull().default(false),
    notes: text('notes'),
    submittedAt: ts('submitted_at').notNull(),
    /** The submission time, set again when the application returns to the list (declined with returnToWaitlist, reinstated). */
    rankAt: ts('rank_at').notNull(),
    possibleDuplicateOfId: uuid('possible_duplicate_of_id'),
    offerRoomId: uuid('offer_room_id'),
    offerStartDate: date('offer_start_date', { mode: 'string' }),
    offerPlanId: uuid('offer_plan_id'),
    offerExpiresAt: ts('offer_expires_at'),
    offerOutOfOrderReason: text('offer_out_of_order_reason'),
    /** SHA-256 of the offer token's random part; the token is single-use (`offer_token_used_at`). */
    offerTokenHash: text('offer_token_hash'),
    offerTokenUsedAt: ts('offer_token_used_at'),
    studentId: uuid('student_id'),
    guardianId: uuid('guardian_id'),
    membershipId: uuid('membership_id'),
    withdrawReason: text('withdraw_reason'),
    /** When it left the list for good (enrolled, declined, withdrawn); an expired offer closes at its expiresAt. */
    closedAt: ts('closed_at'),
  },
  (t) => [
    unique('applications_tenant_id_id_key').on(t.tenantId, t.id),
    index('applications_tenant_status_rank_idx').on(t.tenantId, t.status, t.rankAt, t.id),
    index('applications_tenant_child_idx').on(t.tenantId, t.childLastName, t.childFirstName, t.childDateOfBirth),
    index('applications_tenant_closed_idx').on(t.tenantId, t.closedAt).where(sql`closed_at is not null`),
    index('applications_tenant_offer_room_idx').on(t.tenantId, t.offerRoomId).where(sql`status = 'offered'`),
    foreignKey({ name: 'applications_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }),
    foreignKey({ name: 'applications_offer_room_fk', columns: [t.tenantId, t.offerRoomId], foreignColumns: [rooms.tenantId, rooms.id] }),
    foreignKey({ name: 'applications_form_fk', columns: [t.tenantId, t.formId], foreignColumns: [applicationForms.tenantId, applicationForms.id] }),
  ],
);

/** The centre's waitlist settings (`waitlist` of GET/PATCH /tenant); no row = the defaults. */
export const waitlistSettings = pgTable('waitlist_settings', {
  tenantId: tenantIdColumn()
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  priorities: text('priorities').array().notNull(),
  offerHoldHours: integer('offer_hold_hours').notNull(),
  /** Applications closed this many months ago are purged by the hourly cleanup (personal data of non-customers). */
  retentionMonths: integer('retention_months').notNull().default(24),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
