import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { RequestContext, RequestMeta } from '../core/context.js';
import { notFound, unauthenticated } from '../core/errors.js';
import type { RateLimiter } from '../core/rate-limits.js';
import { isUuid, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { SupabaseVerifier } from '../core/security/supabase.js';
import { hashToken, newRefreshToken, sessionIdOfRefreshToken, type AccessClaims, type TokenService } from '../core/security/tokens.js';
import { auditRepository } from '../db/audit.repository.js';
import { acrossCentres, forTenant, reScope, type Database } from '../db/db.js';
import { sessionsRepository } from '../db/sessions.repository.js';
import { membershipsRepository, tenantsRepository, usersRepository, type MembershipRow } from '../db/tenancy.repository.js';
import { keys } from './cache-keys.js';
import { createSessionState, listMemberships, membershipView as view, metaFields, NEVER, type AuthConfig, type MintedMembership } from './session-state.js';

interface Deps {
  db: Database;
  cache: Cache;
  tokens: TokenService;
  verifySupabase: SupabaseVerifier;
  clock: Clock;
  logger: Logger;
  limits: RateLimiter;
  config: Pick<AuthConfig, 'refreshGraceSeconds' | 'sessionIdleSeconds' | 'sessionAbsoluteSeconds'>;
}

/**
 * Sessions: the Supabase exchange, refresh rotation, logout and switch (CONTRACT §3), and the session a new centre's
 * owner is switched to. Invitations have their own service (invitations.service.ts).
 */
export function createSessionsService(d: Deps) {
  const { nowMs, mint, pushCutoff } = createSessionState(d);

  /** Counts one /auth/* request per account or session (the policy table's `auth-account`, `auth-session`). */
  const limitUser = (bucket: 'account' | 'session', subject: string) => d.limits.consume(bucket === 'account' ? 'auth-account' : 'auth-session', subject);

  return {
    /** Per-IP limit on /auth/* (a kiosk at drop-off: many parents, one IP). */
    limitIp: (ip: string | null) => d.limits.consume('auth-ip', ip ?? 'unknown'),

    async exchange(accessToken: unknown, meta: RequestMeta) {
      let identity;
      try {
        identity = await d.verifySupabase(accessToken);
      } catch (err) {
        // Not in the append-only audit log: an anonymous caller must not grow a table nobody may clean. The
        // application log keeps it, and a counter per IP and minute shows a flood without storing each attempt.
        const n = await d.cache.incr(keys.authRate('exchange-failed', meta.ip ?? 'unknown', Math.floor(nowMs() / 60_000)), 120).catch(() => 0);
        d.logger.warn({ event: 'auth.exchange_failed', ip: meta.ip, requestId: meta.requestId, failuresThisMinute: n }, 'sign-in with an invalid token');
        throw err;
      }
      await limitUser('account', identity.sub);
      const now = d.clock.now();
      const gen = d.cache.generation();
      const result = await d.db.scoped(acrossCentres({}), async (tx) => {
        const user = await usersRepository.upsertBySupabaseId(tx, identity.sub, identity.email, now);
        // Re-scope to this user so RLS shows their memberships and invitations addressed to their email.
        await reScope(tx, { userId: user.id, email: identity.email });
        // Nothing is joined here: invitations wait for the user's consent (POST /invitations/{id}/accept).
        const invitations = identity.email ? await membershipsRepository.pendingInvitations(tx, identity.email) : [];
        const memberships = await listMemberships(tx, user.id);
        const active = memberships.find((m) => m.row.status === 'active')?.row ?? null;
        const sessionId = newId(now.getTime());
        const refreshToken = newRefreshToken(sessionId);
        await sessionsRepository.create(
          tx,
          {
            id: sessionId,
            userId: user.id,
            membershipId: active?.id ?? null,
            activeTenantId: active?.tenantId ?? null,
            supabaseSessionId: identity.sessionId,
            lastUsedAt: now,
            idleExpiresAt: new Date(now.getTime() + d.config.sessionIdleSeconds * 1000),
            absoluteExpiresAt: new Date(now.getTime() + d.config.sessionAbsoluteSeconds * 1000),
            ip: meta.ip,
            userAgent: meta.userAgent?.slice(0, 512) ?? null,
          },
          hashToken(refreshToken),
        );
        await auditRepository.appendAcrossTenants(tx, {
          tenantId: active?.tenantId ?? null,
          actorUserId: user.id,
          actorMembershipId: active?.id ?? null,
          action: 'auth.exchange',
          targetType: 'session',
          targetId: sessionId,
          ...metaFields(meta),
        });
        return { user, memberships, active, sessionId, refreshToken, invitations };
      });
      const issued = await mint(result.user, result.sessionId, result.active, result.refreshToken, nowMs(), gen);
      return {
        issued,
        body: {
          user: { id: result.user.id, email: result.user.email },
          memberships: result.memberships.map((m) => m.view),
          activeMembershipId: result.active?.id ?? null,
          invitations: result.invitations,
          csrfToken: issued.csrfToken,
        },
      };
    },

    /** The session id a refresh cookie names, for the CSRF check before any database work. */
    sessionIdOfRefresh: sessionIdOfRefreshToken,

    async refresh(refreshToken: string, meta: RequestMeta) {
      await limitUser('session', sessionIdOfRefreshToken(refreshToken) ?? 'unknown');
      const now = d.clock.now();
      const gen = d.cache.generation();
      const outcome = await d.db.scoped(acrossCentres({}), async (tx) => {
        const found = await sessionsRepository.lockToken(tx, hashToken(refreshToken));
        if (!found) return { kind: 'invalid' as const };
        const { token, session } = found;
        if (session.revokedAt || session.absoluteExpiresAt <= now || session.idleExpiresAt <= now) return { kind: 'invalid' as const };
        if (token.rotatedAt && now.getTime() - token.rotatedAt.getTime() > d.config.refreshGraceSeconds * 1000) {
          await sessionsRepository.revoke(tx, session.id, 'refresh_token_reuse', now);
          await auditRepository.appendAcrossTenants(tx, {
            tenantId: session.activeTenantId,
            actorUserId: session.userId,
            actorMembershipId: session.membershipId,
            action: 'auth.refresh_reuse_detected',
            targetType: 'session',
            targetId: session.id,
            ...metaFields(meta),
          });
          return { kind: 'reuse' as const, session };
        }
        // A live token rotates; a token rotated within the grace window (a second tab) gets a sibling.
        const next = newRefreshToken(session.id);
        await sessionsRepository.rotate(tx, token.rotatedAt ? null : token.tokenHash, hashToken(next), session.id, now);
        await sessionsRepository.touch(tx, session.id, now, new Date(now.getTime() + d.config.sessionIdleSeconds * 1000));
        const user = await usersRepository.get(tx, session.userId);
        if (!user) return { kind: 'invalid' as const };
        await reScope(tx, { userId: user.id, email: user.email });
        let membership: MembershipRow | null = null;
        if (session.membershipId) {
          const m = await membershipsRepository.getForUser(tx, user.id, session.membershipId);
          if (m && m.status === 'active') membership = m;
        }
        if (!membership) {
          membership = (await listMemberships(tx, user.id)).find((m) => m.row.status === 'active')?.row ?? null;
          if ((membership?.id ?? null) !== session.membershipId)
            await sessionsRepository.setMembership(tx, session.id, membership?.id ?? null, membership?.tenantId ?? null, now);
        }
        await auditRepository.appendAcrossTenants(tx, {
          tenantId: membership?.tenantId ?? null,
          actorUserId: user.id,
          actorMembershipId: membership?.id ?? null,
          action: 'auth.refresh',
          targetType: 'session',
          targetId: session.id,
          ...metaFields(meta),
        });
        return { kind: 'ok' as const, user, membership, sessionId: session.id, next, validAfter: session.accessValidAfter?.getTime() ?? 0 };
      });
      if (outcome.kind === 'reuse') {
        await pushCutoff(outcome.session.userId, outcome.session.id, NEVER);
        throw unauthenticated('This session has ended; sign in again');
      }
      if (outcome.kind === 'invalid') throw unauthenticated('The refresh token is not valid; sign in again');
      // Never before the family's cut-off (a switch a moment ago), or the new token would be born refused.
      const issued = await mint(outcome.user, outcome.sessionId, outcome.membership, outcome.next, Math.max(nowMs(), outcome.validAfter), gen);
      return { issued, body: { csrfToken: issued.csrfToken, activeMembershipId: outcome.membership?.id ?? null } };
    },

    async logout(access: AccessClaims | null, refreshToken: string | undefined, meta: RequestMeta) {
      const now = d.clock.now();
      const sid = access?.sid ?? sessionIdOfRefreshToken(refreshToken);
      if (!sid) return;
      // A refresh cookie alone only names a family: revoke it only when the token really belongs to it.
      if (!access && refreshToken) {
        const ok = await d.db.scoped(acrossCentres({}), async (tx) => !!(await sessionsRepository.lockToken(tx, hashToken(refreshToken))));
        if (!ok) return;
      }
      const userId = await d.db.scoped(acrossCentres({}), async (tx) => {
        const revoked = await sessionsRepository.revoke(tx, sid, 'logout', now);
        if (!revoked) return access?.sid === sid ? access.sub : null;
        await auditRepository.appendAcrossTenants(tx, {
          tenantId: revoked.tenantId,
          actorUserId: revoked.userId,
          actorMembershipId: revoked.membershipId,
          action: 'auth.logout',
          targetType: 'session',
          targetId: sid,
          ...metaFields(meta),
        });
        return revoked.userId;
      });
      // The database has the revocation (a flushed cache falls back to it); now every cached view of the family.
      if (userId) await pushCutoff(userId, sid, NEVER);
    },

    async switchMembership(ctx: RequestContext, membershipId: string, meta: RequestMeta) {
      const now = d.clock.now();
      if (!isUuid(membershipId)) throw notFound('Membership');
      const gen = d.cache.generation();
      const m = await d.db.scoped(acrossCentres(ctx), async (tx) => {
        const m = await membershipsRepository.getForUser(tx, ctx.userId, membershipId);
        if (!m || m.status !== 'active') return null;
        const session = await sessionsRepository.get(tx, ctx.sessionId);
        if (!session || session.revokedAt) throw unauthenticated();
        await sessionsRepository.setMembership(tx, ctx.sessionId, m.id, m.tenantId, now);
        // Every older access token of this sign-in ends with the switch; the new one is minted at the cut-off.
        const cut = await sessionsRepository.cutOff(tx, ctx.sessionId, now);
        await auditRepository.appendAcrossTenants(tx, {
          tenantId: m.tenantId,
          actorUserId: ctx.userId,
          actorMembershipId: m.id,
          action: 'auth.switch',
          targetType: 'membership',
          targetId: m.id,
          before: { membershipId: ctx.membershipId, tenantId: ctx.tenantId },
          after: { membershipId: m.id, tenantId: m.tenantId },
          ...metaFields(meta),
        });
        const tenant = await tenantsRepository.get(tx, m.tenantId);
        return { row: m, view: view(m, tenant?.name ?? ''), cut };
      });
      if (!m) throw notFound('Membership');
      await pushCutoff(ctx.userId, ctx.sessionId, m.cut);
      const issued = await mint({ id: ctx.userId, email: ctx.email }, ctx.sessionId, m.row, undefined, m.cut, gen);
      return { issued, membership: m.view };
    },

    /** Mints a session for a membership just created (POST /tenants switches the caller to the new centre). */
    async issueFor(ctx: RequestContext, m: MintedMembership) {
      const now = d.clock.now();
      const cut = await d.db.scoped(forTenant(m), async (tx) => {
        await sessionsRepository.setMembership(tx, ctx.sessionId, m.id, m.tenantId, now);
        return sessionsRepository.cutOff(tx, ctx.sessionId, now);
      });
      await pushCutoff(ctx.userId, ctx.sessionId, cut);
      return mint({ id: ctx.userId, email: ctx.email }, ctx.sessionId, m, undefined, cut);
    },

  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
