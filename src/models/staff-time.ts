import { sql } from 'drizzle-orm';
import { date, foreignKey, index, integer, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { rooms, staff } from './centre.js';
import { tenants } from './tenancy.js';

/** One stretch of a staff member's work in one room: a clock-in opens it, a move or a clock-out closes it. */
export const shifts = pgTable(
  'shifts',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn(),
    staffId: uuid('staff_id').notNull(),
    roomId: uuid('room_id').notNull(),
    /** The local date of the clock-in in the centre's time zone. */
    date: date('date', { mode: 'string' }).notNull(),
    clockInAt: ts('clock_in_at').notNull(),
    clockOutAt: ts('clock_out_at'),
    clockedInByMembershipId: uuid('clocked_in_by_membership_id'),
    clockedOutByMembershipId: uuid('clocked_out_by_membership_id'),
  },
  (t) => [
    unique('shifts_tenant_id_id_key').on(t.tenantId, t.id),
    // At most one open shift per staff member: concurrent clock-ins cannot both succeed.
    uniqueIndex('shifts_one_open_per_staff').on(t.tenantId, t.staffId).where(sql`clock_out_at is null`),
    index('shifts_tenant_room_open_idx').on(t.tenantId, t.roomId).where(sql`clock_out_at is null`),
    index('shifts_tenant_staff_in_idx').on(t.tenantId, t.staffId, t.clockInAt),
    index('shifts_tenant_in_idx').on(t.tenantId, t.clockInAt),
    foreignKey({ name: 'shifts_staff_fk', columns: [t.tenantId, t.staffId], foreignColumns: [staff.tenantId, staff.id] }),
    foreignKey({ name: 'shifts_room_fk', columns: [t.tenantId, t.roomId], foreignColumns: [rooms.tenantId, rooms.id] }),
  ],
);

/** A tablet at the door: a device credential (only the hash of its token is stored), revoked by setting revokedAt. */
export const kiosks = pgTable(
  'kiosks',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** SHA-256 of the token's secret part (base64url): the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    createdByMembershipId: uuid('created_by_membership_id'),
    revokedAt: ts('revoked_at'),
    /**
     * The PIN lockout, kept here so a cache restart cannot lose it (issue 20, point 7): PIN attempts reserved in the
     * window ending at pinWindowEndsAt (a right PIN gives its reservation back), and the lock they tripped.
     */
    pinFailures: integer('pin_failures').notNull().default(0),
    pinWindowEndsAt: ts('pin_window_ends_at'),
    pinLockedUntil: ts('pin_locked_until'),
  },
  (t) => [unique('kiosks_tenant_id_id_key').on(t.tenantId, t.id), index('kiosks_tenant_live_idx').on(t.tenantId, t.id).where(sql`revoked_at is null`)],
);
