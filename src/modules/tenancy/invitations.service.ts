import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { auditRepository } from '../../db/audit.repository.js';
import { acrossCentres, type Database } from '../../db/db.js';
import { membershipsRepository } from '../../db/tenancy.repository.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { membershipDto } from './tenancy.service.js';

interface Deps {
  db: Database;
  clock: Clock;
  authenticator: Pick<Authenticator, 'bumpEntitlementsVersion'>;
}

/**
 * Invitations addressed to the signed-in user's email (CONTRACT §3, §5). Nothing joins without the user's consent:
 * an invitation becomes the very membership the centre created, active, only when its email accepts it.
 */
export function createInvitationsService({ db, clock, authenticator: auth }: Deps) {
  // Crosses centres: RLS shows invitations for the scope's email, and lets only that user accept or decline them.
  /** The inviting centre learns that its invitation was answered, not where from (no IP, no user agent). */
  const answered = (ctx: RequestContext, action: string, m: { id: string; tenantId: string }, extra: { before?: unknown; after?: unknown }) => ({
    tenantId: m.tenantId,
    actorUserId: ctx.userId,
    actorMembershipId: action === 'membership.accepted' ? m.id : null,
    action,
    targetType: 'membership',
    targetId: m.id,
    requestId: ctx.requestId,
    ...extra,
  });

  return {
    async list(ctx: RequestContext, q: { limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(acrossCentres(ctx), (tx) => membershipsRepository.pendingInvitations(tx, ctx.email, { cursor, limit: q.limit + 1 }));
      return toPage(rows, q.limit, (r) => r, (r) => r.id);
    },

    async accept(ctx: RequestContext, id: string) {
      if (!isUuid(id)) throw notFound('Invitation');
      const m = await db.scoped(acrossCentres(ctx), async (tx) => {
        const m = await membershipsRepository.acceptInvitation(tx, id, ctx.userId, ctx.email, clock.now());
        if (!m) return null;
        await auditRepository.appendAcrossTenants(tx, answered(ctx, 'membership.accepted', m, { after: { roles: m.roles, entitlements: m.entitlements, status: m.status } }));
        return m;
      });
      if (!m) throw notFound('Invitation');
      await auth.bumpEntitlementsVersion(m.id, m.version);
      return membershipDto(m);
    },

    async decline(ctx: RequestContext, id: string) {
      if (!isUuid(id)) throw notFound('Invitation');
      const ok = await db.scoped(acrossCentres(ctx), async (tx) => {
        const m = await membershipsRepository.declineInvitation(tx, id, ctx.email);
        if (!m) return false;
        await auditRepository.appendAcrossTenants(tx, answered(ctx, 'membership.declined', m, { before: { email: m.email, roles: m.roles, status: m.status } }));
        return true;
      });
      if (!ok) throw notFound('Invitation');
    },
  };
}
export type InvitationsService = ReturnType<typeof createInvitationsService>;
