import { bigint, foreignKey, index, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { FILE_PURPOSES, FILE_STATUSES } from './enums.js';
import { tenants } from './tenancy.js';
import { students } from './centre.js';


export const files = pgTable(
  'files',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: FILE_PURPOSES }).notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    /** Declared size at presign time; the storage refuses a body larger than this. */
    size: bigint('size', { mode: 'number' }).notNull(),
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: FILE_STATUSES }).notNull().default('pending'),
    studentId: uuid('student_id'),
    uploadedByMembershipId: uuid('uploaded_by_membership_id'),
    uploadedAt: ts('uploaded_at'),
  },
  (t) => [
    unique('files_tenant_id_id_key').on(t.tenantId, t.id),
    index('files_tenant_status_idx').on(t.tenantId, t.status, t.createdAt),
    index('files_tenant_student_idx').on(t.tenantId, t.studentId),
    foreignKey({ name: 'files_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }),
  ],
);
