import { sql } from 'drizzle-orm';
import { canonicalEmail } from '../core/email.js';
import { isUuid } from '../core/ids.js';
import { APP_ROLE, type DbScope, type StatementLimits, type Tx } from './types.js';

/**
 * The one way to enter a tenant: a centre's ordinary work (a request, a job, a scheduled task) is bound to its tenant
 * alone, so a member's rows in other centres stay out of its reach. Takes a context (RequestContext's tenant part, a
 * JobActor) or a tenant id.
 */
export function forTenant(ctx: { tenantId: string } | string): DbScope {
  return { tenantId: typeof ctx === 'string' ? ctx : ctx.tenantId };
}

/**
 * The paths that cross centres (sign-in, refresh, switch, /me/context, invitations): the user (and email) reach RLS
 * as `app.user_id`/`app.user_email`, with the active centre when there is one. `{}` is work for no one yet: a session
 * looked up by its token before anyone is known.
 */
export function acrossCentres(user: { userId?: string | null; email?: string | null }, tenantId: string | null = null): DbScope {
  return { tenantId, userId: user.userId ?? null, email: user.email ?? null, crossCentre: true };
}

/** The scheduler's view: it may enumerate centres (id and time zone only; see migrations/0001_security.sql). */
export function systemWide(): DbScope {
  return { tenantId: null, system: true };
}

/**
 * The transaction-level re-scope of a path that crosses centres, for the rest of the transaction: to a user once the
 * sign-in knows who it is (their memberships and the invitations to their email become visible), or to the tenant an
 * audit row is written for. The only other place that sets RLS settings is `scoped()` itself.
 */
export async function reScope(tx: Tx, to: { tenantId: string } | { userId: string; email: string }): Promise<void> {
  if ('tenantId' in to) await tx.execute(sql`select set_config('app.tenant_id', ${to.tenantId}, true)`);
  else await tx.execute(sql`select set_config('app.user_id', ${to.userId}, true), set_config('app.user_email', ${canonicalEmail(to.email)}, true)`);
}

/**
 * The transaction-local settings that row-level security reads, and the switch to the restricted role: one list,
 * rendered as a parameterised statement (PGlite) or as escaped literals (the server's one-round-trip path).
 */
export function scopeSettings(scope: DbScope, limits: StatementLimits): [string, string][] {
  if (scope.tenantId !== null && !isUuid(scope.tenantId)) throw new Error('invalid tenant id in scope');
  if (scope.userId && !isUuid(scope.userId)) throw new Error('invalid user id in scope');
  const user = scope.tenantId === null || scope.crossCentre;
  return [
    ['app.tenant_id', scope.tenantId ?? ''],
    ['app.user_id', (user && scope.userId) || ''],
    ['app.user_email', (user && scope.email ? canonicalEmail(scope.email) : '')],
    ['app.scope', scope.system ? 'system' : ''],
    ['statement_timeout', `${limits.statementTimeoutMs}ms`],
    ['lock_timeout', `${limits.lockTimeoutMs}ms`],
    ['role', APP_ROLE],
  ];
}

export function scopeStatement(scope: DbScope, limits: StatementLimits) {
  // One round trip: the settings and the role switch are all transaction-local (is_local = true).
  return sql`select ${sql.join(scopeSettings(scope, limits).map(([k, v]) => sql`set_config(${k}, ${v}, true)`), sql`, `)}`;
}

/** The same settings as `scopeStatement`, as literal SQL for a simple-protocol round trip (values escaped by the driver). */
export function scopeLiteralSql(scope: DbScope, lit: (v: string) => string, limits: StatementLimits) {
  return `select ${scopeSettings(scope, limits).map(([k, v]) => `set_config(${lit(k)}, ${lit(v)}, true)`).join(', ')}`;
}
