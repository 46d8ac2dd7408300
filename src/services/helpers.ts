import type { TenantContext } from '../core/context.js';
import { notFound, preconditionFailed } from '../core/errors.js';
import { isUuid } from '../core/ids.js';

/** Small steps every service shares (not specific to one resource). */

export const scopeOf = (ctx: TenantContext) => ({ tenantId: ctx.tenantId, userId: ctx.userId });

/** The actor fields of an audit row. */
export { auditActor as actor } from '../repositories/audit.repository.js';

/** A malformed id is simply not found, like another tenant's. */
export function requireId(id: string, what: string): string {
  if (!isUuid(id)) throw notFound(what);
  return id.toLowerCase();
}

/** If-Match: absent (undefined) always passes; otherwise the row's version must be the one the client saw. */
export function checkIfMatch(version: number, ifMatch: number | undefined) {
  if (ifMatch !== undefined && version !== ifMatch) throw preconditionFailed();
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Keeps only the keys a PATCH actually sent (undefined = not sent; null = clear). */
export function sent<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface ListOptions {
  limit: number;
  cursor?: string;
  includeArchived?: boolean;
}
