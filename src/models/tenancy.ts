
import { boolean, index, inet, jsonb, pgTable, text, unique, uuid, bigserial, integer } from 'drizzle-orm/pg-core';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import { MEMBERSHIP_STATUSES } from './enums.js';

export const tenants = pgTable('tenants', {
  ...resourceColumns(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull(),
  /** Centre closing time, local "HH:MM" — used by the end-of-day reminder. */
  closingTime: text('closing_time').notNull().default('18:00'),
  deletedAt: ts('deleted_at'),
});

/** Users are global (one per Supabase identity); what they may see is decided by memberships. */
export const users = pgTable(
  'users',
  {
    ...resourceColumns(),
    supabaseId: text('supabase_id').notNull(),
    email: text('email').notNull(),
    lastSignInAt: ts('last_sign_in_at'),
  },
  (t) => [unique('users_supabase_id_key').on(t.supabaseId), index('users_email_idx').on(t.email)],
);

export const memberships = pgTable(
  'memberships',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    /** Null while the membership is an invitation waiting for `email` to sign in. */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    roles: text('roles').array().notNull(),
    entitlements: text('entitlements').array().notNull(),
    status: text('status', { enum: MEMBERSHIP_STATUSES }).notNull(),
    invitedByUserId: uuid('invited_by_user_id'),
  },
  (t) => [
    unique('memberships_tenant_id_id_key').on(t.tenantId, t.id),
    unique('memberships_tenant_email_key').on(t.tenantId, t.email),
    index('memberships_tenant_status_idx').on(t.tenantId, t.status, t.id),
    // Cross-tenant access paths of the signed-in user (exchange, switch): by user and by invited email.
    index('memberships_user_idx').on(t.userId),
    index('memberships_email_idx').on(t.email),
  ],
);

/** A refresh-token family: one per sign-in, surviving rotation and membership switches. */
export const sessions = pgTable(
  'sessions',
  {
    ...resourceColumns(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    /** The active membership and its centre (not an owner: sessions belong to the user, across centres). */
    membershipId: uuid('membership_id'),
    activeTenantId: uuid('active_tenant_id'),
    supabaseSessionId: text('supabase_session_id'),
    lastUsedAt: ts('last_used_at').notNull().defaultNow(),
    idleExpiresAt: ts('idle_expires_at').notNull(),
    absoluteExpiresAt: ts('absolute_expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    /**
     * Access tokens of this family minted before this instant are refused (a switch of centre ends the tokens of the
     * previous one). The database keeps it, so a flushed cache cannot bring such a token back.
     */
    accessValidAfter: ts('access_valid_after'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expiry_idx').on(t.absoluteExpiresAt)],
);

/** Refresh tokens, stored hashed. A token is live while `rotatedAt` is null; a rotated one is honoured for the grace window. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    rotatedAt: ts('rotated_at'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/**
 * Append-only audit log. `tenant_id` is null only for platform-level auth events that happen before any tenant is
 * known (a failed token verification, a sign-in with no membership); those rows are never readable through the API.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id'),
    actorUserId: uuid('actor_user_id'),
    actorMembershipId: uuid('actor_membership_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    ip: inet('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('audit_logs_tenant_idx').on(t.tenantId, t.id),
    index('audit_logs_tenant_action_idx').on(t.tenantId, t.action, t.id),
  ],
);

/** Idempotency keys (CONTRACT §2). `tenant_id` is null for requests made before the caller has a tenant (POST /tenants). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    id: uuid('id').notNull().defaultRandom().primaryKey(),
    tenantId: uuid('tenant_id'),
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    fingerprint: text('fingerprint').notNull(),
    completed: boolean('completed').notNull().default(false),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    responseHeaders: jsonb('response_headers'),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    unique('idempotency_keys_scope_key').on(t.tenantId, t.userId, t.method, t.path, t.key).nullsNotDistinct(),
    index('idempotency_keys_expiry_idx').on(t.expiresAt),
  ],
);

