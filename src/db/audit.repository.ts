import { and, desc, eq, lt } from 'drizzle-orm';
import { telemetry } from '../core/telemetry.js';
import { auditLogs, outboxEvents } from '../models/index.js';
import { queryRows, reScope, type Tx } from './db.js';
import { PROCESS_ORIGIN } from './outbox.repository.js';

export interface AuditEntry {
  tenantId: string | null;
  actorUserId?: string | null;
  actorMembershipId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  /**
   * The domain event's payload in the outbox (kernel/events.ts passes its typed payload); by default the target and
   * the after image. Every audited change of a centre is also an event: its outbox row is written in the same statement.
   */
  event?: unknown;
}

/** The actor fields of an audit row, from the request context (the tenant is the context's). */
export function auditActor(ctx: { tenantId: string | null; userId: string | null; membershipId: string | null; ip: string | null; userAgent: string | null; requestId: string }) {
  return {
    tenantId: ctx.tenantId,
    actorUserId: ctx.userId,
    actorMembershipId: ctx.membershipId,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
  };
}

const toRow = (e: AuditEntry) => ({
  tenantId: e.tenantId,
  actorUserId: e.actorUserId ?? null,
  actorMembershipId: e.actorMembershipId ?? null,
  action: e.action,
  targetType: e.targetType ?? null,
  targetId: e.targetId ?? null,
  before: e.before ?? null,
  after: e.after ?? null,
  ip: e.ip && isIp(e.ip) ? e.ip : null,
  userAgent: e.userAgent?.slice(0, 512) ?? null,
  requestId: e.requestId ?? null,
});

// The audit row and its outbox row (the domain event) in one statement, so recording an event costs no round trip
// more than auditing did. A tenant-less row (an auth event before any centre is known) is not an event.
const APPEND = `with audit as (insert into audit_logs (tenant_id, actor_user_id, actor_membership_id, action, target_type, target_id, before, after, ip, user_agent, request_id)
  values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::inet, $10, $11))
  insert into outbox_events (tenant_id, name, payload, actor_membership_id, origin, trace_parent) select $1::uuid, $4, $12::jsonb, $3::uuid, $13, $14 where $1::uuid is not null`;
/** The outbox payload of an audited change: the typed event's own, else the target and the after image. */
const eventPayload = (e: AuditEntry) => e.event ?? { targetType: e.targetType ?? null, targetId: e.targetId ?? null, after: e.after ?? null };
/** A jsonb value as Drizzle sends it: JSON text, or NULL. */
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** Append-only: there is no update or delete here, and the database refuses them too. */
export const auditRepository = {
  /** A row for the transaction's own tenant (or a tenant-less one). */
  async append(tx: Tx, e: AuditEntry) {
    // Written as SQL (every change appends one): no query building per request.
    const r = toRow(e);
    const values = [r.tenantId, r.actorUserId, r.actorMembershipId, r.action, r.targetType, r.targetId, json(r.before), json(r.after), r.ip, r.userAgent, r.requestId];
    await queryRows(tx, APPEND, [...values, json(eventPayload(e)), PROCESS_ORIGIN, telemetry.traceParent() ?? null]);
  },

  /**
   * A row for a tenant the transaction is not scoped to: the sign-in paths work across centres (exchange claims
   * invitations in several in one transaction; refresh, logout and switch run before a tenant scope exists). The RLS
   * setting is switched to the row's tenant first, for the rest of the transaction.
   */
  async appendAcrossTenants(tx: Tx, e: AuditEntry) {
    if (e.tenantId) await reScope(tx, { tenantId: e.tenantId });
    await auditRepository.append(tx, e);
  },

  async list(tx: Tx, tenantId: string, opts: { action?: string; cursor?: number; limit: number }) {
    return tx
      .select()
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.tenantId, tenantId),
          opts.action ? eq(auditLogs.action, opts.action) : undefined,
          opts.cursor ? lt(auditLogs.id, opts.cursor) : undefined,
        ),
      )
      .orderBy(desc(auditLogs.id))
      .limit(opts.limit + 1);
  },

  /** Many rows for the transaction's own tenant, 500 per statement (a batch of imported children). */
  async appendMany(tx: Tx, entries: AuditEntry[]) {
    for (let i = 0; i < entries.length; i += 500) {
      const chunk = entries.slice(i, i + 500);
      await tx.insert(auditLogs).values(chunk.map(toRow));
      const events = chunk.filter((e) => e.tenantId);
      if (events.length)
        await tx.insert(outboxEvents).values(events.map((e) => ({ tenantId: e.tenantId!, name: e.action, payload: eventPayload(e), actorMembershipId: e.actorMembershipId ?? null, origin: PROCESS_ORIGIN, traceParent: telemetry.traceParent() ?? null })));
    }
  },
};

export type AuditRepository = typeof auditRepository;

function isIp(s: string) {
  return /^[0-9.]{7,15}$/.test(s) || (/^[0-9a-f:.]{2,45}$/i.test(s) && s.includes(':'));
}
