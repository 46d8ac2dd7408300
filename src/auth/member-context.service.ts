import type { RequestContext } from '../core/context.js';
import { menuFor } from '../core/security/permissions.js';
import { acrossCentres, type Database } from '../db/db.js';
import { tenantsRepository } from '../db/tenancy.repository.js';
import { listMemberships } from './session-state.js';

/** The member's context (`GET /me/context`): who, where, what they may do, their menu and their memberships. */
export function createMemberContextService(d: { db: Database }) {
  return {
    async context(ctx: RequestContext) {
      return d.db.scoped(acrossCentres(ctx, ctx.tenantId), async (tx) => {
        const memberships = await listMemberships(tx, ctx.userId);
        const tenant = ctx.tenantId ? await tenantsRepository.get(tx, ctx.tenantId) : undefined;
        const membership = memberships.find((m) => m.row.id === ctx.membershipId);
        return {
          user: { id: ctx.userId, email: ctx.email },
          tenant: tenant && ctx.tenantId ? { id: tenant.id, name: tenant.name, timezone: tenant.timezone } : null,
          membership: membership && ctx.tenantId ? membership.view : null,
          roles: ctx.tenantId ? ctx.roles : [],
          permissions: ctx.permissions,
          entitlements: ctx.tenantId ? ctx.entitlements : [],
          menu: menuFor(ctx.roles, ctx.permissions),
          memberships: memberships.map((m) => m.view),
        };
      });
    },

  };
}

export type MemberContextService = ReturnType<typeof createMemberContextService>;
