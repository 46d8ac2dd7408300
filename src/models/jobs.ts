import { index, integer, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { JOB_STATUSES } from './enums.js';
import { tenants } from './tenancy.js';


/** The source of truth for a job; the queue only carries `{jobId, tenantId}`. */
export const jobs = pgTable(
  'jobs',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    progress: integer('progress').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    payload: jsonb('payload').notNull(),
    result: jsonb('result'),
    error: text('error'),
    /** Makes enqueueing idempotent (a scheduled task per tenant and day, an API Idempotency-Key). */
    dedupeKey: text('dedupe_key'),
    createdByMembershipId: uuid('created_by_membership_id'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    /** The fencing token of the run holding the job: raised by each claim; every write of a run checks it. */
    leaseToken: integer('lease_token').notNull().default(0),
    /** While running: when the run's lease ends unless its heartbeat renews it (then another run may take over). */
    leaseExpiresAt: ts('lease_expires_at'),
    /** The enqueueing request's trace (W3C traceparent) when telemetry is on: the job's span links to it. */
    traceParent: text('trace_parent'),
  },
  (t) => [
    unique('jobs_tenant_id_id_key').on(t.tenantId, t.id),
    unique('jobs_tenant_dedupe_key').on(t.tenantId, t.dedupeKey),
    index('jobs_tenant_creator_idx').on(t.tenantId, t.createdByMembershipId, t.id),
    index('jobs_status_idx').on(t.status, t.updatedAt),
  ],
);
