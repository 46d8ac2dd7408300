import { sql } from 'drizzle-orm';
import { boolean, date, foreignKey, index, integer, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { AGE_GROUPS, ATTENDANCE_METHODS, STUDENT_STATUSES } from './enums.js';
import { tenants } from './tenancy.js';


export const rooms = pgTable(
  'rooms',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    capacity: integer('capacity').notNull(),
    ageGroup: text('age_group', { enum: AGE_GROUPS }),
    ratio: integer('ratio'),
    archivedAt: ts('archived_at'),
  },
  (t) => [unique('rooms_tenant_id_id_key').on(t.tenantId, t.id)],
);

export const students = pgTable(
  'students',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
    roomId: uuid('room_id'),
    allergies: text('allergies'),
    notes: text('notes'),
    externalId: text('external_id'),
    status: text('status', { enum: STUDENT_STATUSES }).notNull().default('enrolled'),
    photoFileId: uuid('photo_file_id'),
    archivedAt: ts('archived_at'),
  },
  (t) => [
    unique('students_tenant_id_id_key').on(t.tenantId, t.id),
    unique('students_tenant_external_id_key').on(t.tenantId, t.externalId),
    index('students_tenant_room_idx').on(t.tenantId, t.roomId, t.id),
    index('students_tenant_name_idx').on(t.tenantId, t.lastName, t.firstName, t.dateOfBirth),
    foreignKey({ name: 'students_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }),
  ],
);

export const guardians = pgTable(
  'guardians',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    /** Lower-cased; a guardian whose email matches a member with role `guardian` is that member's record. */
    email: text('email'),
    phone: text('phone'),
    /** HMAC-SHA256 of the kiosk PIN under the deployment's PIN key (never the PIN); null = no PIN. */
    pinHash: text('pin_hash'),
    pinSetAt: ts('pin_set_at'),
    archivedAt: ts('archived_at'),
  },
  (t) => [
    unique('guardians_tenant_id_id_key').on(t.tenantId, t.id),
    index('guardians_tenant_email_idx').on(t.tenantId, t.email),
    // A PIN names one adult in a centre: a kiosk finds them by the PIN's keyed hash alone.
    uniqueIndex('guardians_tenant_pin_hash_key').on(t.tenantId, t.pinHash),
  ],
);

export const studentGuardians = pgTable(
  'student_guardians',
  {
    tenantId: tenantIdColumn(),
    studentId: uuid('student_id').notNull(),
    guardianId: uuid('guardian_id').notNull(),
    relationship: text('relationship').notNull(),
    authorizedPickup: boolean('authorized_pickup').notNull().default(false),
    emergencyContact: boolean('emergency_contact').notNull().default(false),
    /** False = a pickup-only contact: the child is invisible to this adult (CONTRACT §4). */
    canViewRecords: boolean('can_view_records').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    primaryKey({ name: 'student_guardians_pk', columns: [t.tenantId, t.studentId, t.guardianId] }),
    index('student_guardians_guardian_idx').on(t.tenantId, t.guardianId),
    foreignKey({ name: 'student_guardians_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }).onDelete('cascade'),
    foreignKey({ name: 'student_guardians_guardian_fk', columns: [t.tenantId, t.guardianId], foreignColumns: [guardians.tenantId, guardians.id] }).onDelete('cascade'),
  ],
);

export const staff = pgTable(
  'staff',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email'),
    archivedAt: ts('archived_at'),
  },
  (t) => [unique('staff_tenant_id_id_key').on(t.tenantId, t.id), index('staff_tenant_email_idx').on(t.tenantId, t.email)],
);

export const staffRooms = pgTable(
  'staff_rooms',
  {
    tenantId: tenantIdColumn(),
    staffId: uuid('staff_id').notNull(),
    roomId: uuid('room_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'staff_rooms_pk', columns: [t.tenantId, t.staffId, t.roomId] }),
    index('staff_rooms_room_idx').on(t.tenantId, t.roomId),
    foreignKey({ name: 'staff_rooms_staff_fk', columns: [t.tenantId, t.staffId], foreignColumns: [staff.tenantId, staff.id] }).onDelete('cascade'),
    foreignKey({ name: 'staff_rooms_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }).onDelete('cascade'),
  ],
);

export const attendance = pgTable(
  'attendance',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn(),
    studentId: uuid('student_id').notNull(),
    roomId: uuid('room_id'),
    /** The local date in the centre's time zone at check-in. */
    date: date('date', { mode: 'string' }).notNull(),
    checkInAt: ts('check_in_at').notNull(),
    checkOutAt: ts('check_out_at'),
    checkedInByMembershipId: uuid('checked_in_by_membership_id'),
    checkedOutByMembershipId: uuid('checked_out_by_membership_id'),
    droppedOffByGuardianId: uuid('dropped_off_by_guardian_id'),
    pickedUpByGuardianId: uuid('picked_up_by_guardian_id'),
    /** Who opened the record: staff through the app, or an adult at a kiosk. */
    method: text('method', { enum: ATTENDANCE_METHODS }).notNull().default('staff'),
    note: text('note'),
    /** Set when a move closed this stay: the room the child went to (the next stay opens there at the same instant). */
    movedToRoomId: uuid('moved_to_room_id'),
  },
  (t) => [
    unique('attendance_tenant_id_id_key').on(t.tenantId, t.id),
    index('attendance_tenant_date_room_idx').on(t.tenantId, t.date, t.roomId, t.id),
    index('attendance_tenant_student_idx').on(t.tenantId, t.studentId, t.date, t.id),
    // At most one open record per child: concurrent check-ins of one child cannot both succeed.
    uniqueIndex('attendance_one_open_per_student').on(t.tenantId, t.studentId).where(sql`check_out_at is null`),
    index('attendance_tenant_room_open_idx').on(t.tenantId, t.roomId).where(sql`check_out_at is null`),
    foreignKey({ name: 'attendance_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }),
    foreignKey({ name: 'attendance_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }),
    foreignKey({ name: 'attendance_dropped_off_by_fk', columns: [t.tenantId, t.droppedOffByGuardianId], foreignColumns: [guardians.tenantId, guardians.id] }),
    foreignKey({ name: 'attendance_moved_to_room_fk', columns: [t.tenantId, t.movedToRoomId], foreignColumns: [rooms.tenantId, rooms.id] }),
    foreignKey({ name: 'attendance_picked_up_by_fk', columns: [t.tenantId, t.pickedUpByGuardianId], foreignColumns: [guardians.tenantId, guardians.id] }),
  ],
);


/** Per room and local day, computed by the scheduled rollup; read-only through the API. */
export const attendanceRollups = pgTable(
  'attendance_rollups',
  {
    tenantId: tenantIdColumn(),
    roomId: uuid('room_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    childrenPresent: integer('children_present').notNull(),
    totalMinutes: integer('total_minutes').notNull(),
    peakCount: integer('peak_count').notNull(),
    ratioBreaches: integer('ratio_breaches').notNull(),
    /** Minutes staff were clocked in to the room that day (shifts clipped to the day). */
    staffMinutes: integer('staff_minutes').notNull().default(0),
    /** Minutes the room held more children than its clocked-in staff may look after. */
    outOfRatioMinutes: integer('out_of_ratio_minutes').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    primaryKey({ name: 'attendance_rollups_pk', columns: [t.tenantId, t.date, t.roomId] }),
    foreignKey({ name: 'attendance_rollups_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }).onDelete('cascade'),
  ],
);

/** Marks a scheduled task done for one tenant and local day, so running it twice has one effect. */
export const taskRuns = pgTable(
  'task_runs',
  {
    tenantId: tenantIdColumn(),
    task: text('task').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'task_runs_pk', columns: [t.tenantId, t.task, t.day] })],
);
