import { sql } from 'drizzle-orm';
import { boolean, date, foreignKey, index, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { rooms, students, guardians } from './centre.js';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { ABSENCE_REASONS, CARE_ENTRY_TYPES, INCIDENT_STATUSES, INCIDENT_TYPES } from './enums.js';
import { tenants } from './tenancy.js';

/** The centre's day: absences, the care log and incidents. */

/** One per child per local day (never on a day with attendance: the service checks, a check-in removes it). */
export const absences = pgTable(
  'absences',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    studentId: uuid('student_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    reason: text('reason', { enum: ABSENCE_REASONS }).notNull(),
    note: text('note'),
    reportedByMembershipId: uuid('reported_by_membership_id').notNull(),
  },
  (t) => [
    unique('absences_tenant_id_id_key').on(t.tenantId, t.id),
    uniqueIndex('absences_one_per_student_day').on(t.tenantId, t.studentId, t.date),
    index('absences_tenant_date_idx').on(t.tenantId, t.date, t.studentId),
    foreignKey({ name: 'absences_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }).onDelete('cascade'),
  ],
);

export const careEntries = pgTable(
  'care_entries',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    studentId: uuid('student_id').notNull(),
    type: text('type', { enum: CARE_ENTRY_TYPES }).notNull(),
    at: ts('at').notNull(),
    endAt: ts('end_at'),
    /** The local date of `at` in the centre's time zone. */
    date: date('date', { mode: 'string' }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    note: text('note'),
    visibleToGuardians: boolean('visible_to_guardians').notNull().default(true),
    recordedByMembershipId: uuid('recorded_by_membership_id').notNull(),
    /** Entries written together for a room share this id (one audit row names the batch). */
    batchId: uuid('batch_id'),
  },
  (t) => [
    unique('care_entries_tenant_id_id_key').on(t.tenantId, t.id),
    index('care_entries_tenant_student_date_idx').on(t.tenantId, t.studentId, t.date, t.at),
    foreignKey({ name: 'care_entries_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }).onDelete('cascade'),
  ],
);

export const incidents = pgTable(
  'incidents',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    studentId: uuid('student_id').notNull(),
    roomId: uuid('room_id'),
    occurredAt: ts('occurred_at').notNull(),
    type: text('type', { enum: INCIDENT_TYPES }).notNull(),
    description: text('description').notNull(),
    actionTaken: text('action_taken').notNull(),
    location: text('location'),
    status: text('status', { enum: INCIDENT_STATUSES }).notNull().default('open'),
    reportedByMembershipId: uuid('reported_by_membership_id').notNull(),
    reviewedAt: ts('reviewed_at'),
    reviewedByMembershipId: uuid('reviewed_by_membership_id'),
    acknowledgedAt: ts('acknowledged_at'),
    acknowledgedByGuardianId: uuid('acknowledged_by_guardian_id'),
    /** When the one 24 h reminder went out (null until then). */
    remindedAt: ts('reminded_at'),
  },
  (t) => [
    unique('incidents_tenant_id_id_key').on(t.tenantId, t.id),
    index('incidents_tenant_student_idx').on(t.tenantId, t.studentId, t.occurredAt),
    index('incidents_tenant_status_idx').on(t.tenantId, t.status, t.occurredAt),
    index('incidents_awaiting_ack_idx').on(t.tenantId, t.reviewedAt).where(sql`status = 'reviewed' and reminded_at is null`),
    foreignKey({ name: 'incidents_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }).onDelete('cascade'),
    foreignKey({ name: 'incidents_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }),
    foreignKey({ name: 'incidents_ack_guardian_fk', columns: [t.tenantId, t.acknowledgedByGuardianId], foreignColumns: [guardians.tenantId, guardians.id] }),
  ],
);
