import type { RequestContext } from '../core/context.js';
import { menuFor } from '../core/security/permissions.js';
import { acrossCentres, type Database } from '../db/db.js';
import { membershipsRepository } from '../db/tenancy.repository.js';

/** The member's context (`GET /me/context`): who, where, what they may do, their menu and their memberships. */
export function createMemberContextService(d: { db: Database }) {
  return {
    async context(ctx: RequestContext) {
      return d.db.scoped(acrossCentres(ctx, ctx.tenantId), async (tx) => {
        // One round trip (the memberships as shown, and the active centre), written as SQL: the first call of every page.
        const { memberships, tenant } = await membershipsRepository.contextForUser(tx, ctx.userId, ctx.tenantId);
        const membership = memberships.find((m) => m.id === ctx.membershipId);
        return {
          user: { id: ctx.userId, email: ctx.email },
          tenant: tenant && ctx.tenantId ? { id: tenant.id, name: tenant.name, timezone: tenant.timezone } : null,
          membership: membership && ctx.tenantId ? membership : null,
          roles: ctx.tenantId ? ctx.roles : [],
          permissions: ctx.permissions,
          entitlements: ctx.tenantId ? ctx.entitlements : [],
          menu: menuFor(ctx.roles, ctx.permissions),
          memberships,
        };
      });
    },

  };
}

export type MemberContextService = ReturnType<typeof createMemberContextService>;
