import { sql } from 'drizzle-orm';
import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { RequestContext, RequestMeta } from '../core/context.js';
import { notFound, rateLimited, rateLimitedFor, unauthenticated } from '../core/errors.js';
import { isUuid, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { isGuardianOnly, permissionsFor, menuFor, type Permission } from '../core/security/permissions.js';
import type { SupabaseVerifier } from '../core/security/supabase.js';
import { hashToken, issuedAtMs, newRefreshToken, sessionIdOfRefreshToken, type AccessClaims, type TokenService } from '../core/security/tokens.js';
import { auditRepository } from '../repositories/audit.repository.js';
import type { Database, Tx } from '../repositories/db.js';
import { sessionsRepository } from '../repositories/sessions.repository.js';
import { membershipsRepository, tenantsRepository, usersRepository, type MembershipRow } from '../repositories/tenancy.repository.js';
import { keys } from './cache-keys.js';

export interface AuthConfig {
  refreshGraceSeconds: number;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  rateLimitPerMinute: number;
  rateLimitAuthPerUserPerMinute: number;
  rateLimitAuthPerMinute: number;
  tenantsPerAccountPerDay: number;
  invitationsPerTenantPerHour: number;
}

/** Greater than any membership version and any cut-off in ms: a deleted membership's tombstone, a revoked family's cut-off. */
export const NEVER = 2 ** 50;

/** What the HTTP layer turns into the three cookies and the body's csrfToken. */
export interface IssuedSession {
  accessToken: string;
  accessExp: number;
  refreshToken?: string;
  csrfToken: string;
  sessionId: string;
}

export interface MembershipView {
  id: string;
  tenantId: string;
  tenantName: string;
  roles: string[];
  entitlements: string[];
  status: string;
}

/** What a session token is minted for: a membership's id, centre, grants and version. */
type MintedMembership = Pick<MembershipRow, 'id' | 'tenantId' | 'roles' | 'entitlements' | 'version'>;

interface Deps {
  db: Database;
  cache: Cache;
  tokens: TokenService;
  verifySupabase: SupabaseVerifier;
  clock: Clock;
  logger: Logger;
  config: AuthConfig;
}

const view = (m: MembershipRow, tenantName: string): MembershipView => ({
  id: m.id,
  tenantId: m.tenantId,
  tenantName,
  roles: m.roles,
  entitlements: m.entitlements,
  status: m.status,
});

export function createAuthService(d: Deps) {
  const nowMs = () => d.clock.now().getTime();

  async function mint(
    user: { id: string; email: string },
    sessionId: string,
    m: MintedMembership | null,
    refreshToken?: string,
    atMs: number = nowMs(),
  ): Promise<IssuedSession> {
    const claims: Omit<AccessClaims, 'jti' | 'exp'> = {
      sub: user.id,
      email: user.email,
      sid: sessionId,
      mid: m?.id ?? null,
      tid: m?.tenantId ?? null,
      roles: m?.roles ?? [],
      ent: m?.entitlements ?? [],
      ev: m?.version ?? 0,
    };
    const { token, exp } = await d.tokens.signAccess(claims, atMs);
    // Only ever forward: a refresh that read the membership before a change must not put the old version back.
    if (m) await d.cache.setIfGreater(keys.ev(m.id), m.version, 24 * 3600).catch(() => undefined);
    return { accessToken: token, accessExp: exp, refreshToken, csrfToken: d.tokens.csrfFor(sessionId), sessionId };
  }

  async function listMemberships(tx: Tx, userId: string) {
    const rows = await membershipsRepository.listForUser(tx, userId);
    return rows.map((r) => ({ row: r.m, view: view(r.m, r.tenantName) }));
  }

  /** Counts one /auth/* request against a per-minute limit (per IP, per account, per session). */
  async function limitAuth(bucket: string, subject: string, limit: number, message: string) {
    const now = nowMs();
    const n = await d.cache.incr(keys.authRate(bucket, subject, Math.floor(now / 60_000)), 120);
    if (n > limit) throw rateLimited(message, now);
  }
  const limitUser = (bucket: 'account' | 'session', subject: string) =>
    limitAuth(bucket, subject, d.config.rateLimitAuthPerUserPerMinute, 'Too many sign-in attempts for this account; try again shortly');

  /** A cached cut-off lives as long as the tokens it judges; then the database is asked again. */
  const cutTtl = () => d.tokens.accessTtlSeconds + 60;

  /**
   * Moves a family's cut-off forward (after the database has it): every access token of the family minted before
   * `value` is refused, whatever membership it was minted for, because it is written under every key such a token
   * is checked by. `NEVER` ends the family (logout, stolen refresh token).
   */
  async function pushCutoff(userId: string, sid: string, value: number) {
    const ids = await d.db.scoped({ tenantId: null, userId }, (tx) => membershipsRepository.idsForUser(tx, userId));
    await Promise.all([null, ...ids].map((mid) => d.cache.setIfGreater(keys.cut(mid, userId, sid), value, cutTtl())));
  }

  /** The family's cut-off as the database has it (a cache miss, a flushed or failed-over Redis), cached forward-only. */
  async function cutoffFromDb(claims: AccessClaims): Promise<number> {
    const s = await d.db.scoped({ tenantId: null }, (tx) => sessionsRepository.get(tx, claims.sid));
    const cut = !s || s.revokedAt || s.userId !== claims.sub ? NEVER : (s.accessValidAfter?.getTime() ?? 0);
    return d.cache.setIfGreater(keys.cut(claims.mid, claims.sub, claims.sid), cut, cutTtl()).catch(() => cut);
  }

  /** Counts one event in a longer window (centres created per day, invitations per hour); 429 past the limit. */
  async function limitWindow(key: (window: number) => string, windowSeconds: number, limit: number, message: string) {
    const now = nowMs();
    const window = Math.floor(now / (windowSeconds * 1000));
    const n = await d.cache.incr(key(window), windowSeconds * 2);
    if (n > limit) throw rateLimitedFor(message, ((window + 1) * windowSeconds * 1000 - now) / 1000);
  }

  return {
    /** Per-IP limit on /auth/* (a kiosk at drop-off: many parents, one IP). */
    limitIp: (ip: string | null) => limitAuth('ip', ip ?? 'unknown', d.config.rateLimitAuthPerMinute, 'Too many sign-in attempts; try again shortly'),

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
      const result = await d.db.scoped({ tenantId: null }, async (tx) => {
        const user = await usersRepository.upsertBySupabaseId(tx, identity.sub, identity.email, now);
        // Re-scope to this user so RLS shows their memberships and invitations addressed to their email.
        await tx.execute(setUserScope(user.id, identity.email));
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
      const issued = await mint(result.user, result.sessionId, result.active, result.refreshToken);
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
      const outcome = await d.db.scoped({ tenantId: null }, async (tx) => {
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
        await tx.execute(setUserScope(user.id, user.email));
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
      const issued = await mint(outcome.user, outcome.sessionId, outcome.membership, outcome.next, Math.max(nowMs(), outcome.validAfter));
      return { issued, body: { csrfToken: issued.csrfToken, activeMembershipId: outcome.membership?.id ?? null } };
    },

    async logout(access: AccessClaims | null, refreshToken: string | undefined, meta: RequestMeta) {
      const now = d.clock.now();
      const sid = access?.sid ?? sessionIdOfRefreshToken(refreshToken);
      if (!sid) return;
      // A refresh cookie alone only names a family: revoke it only when the token really belongs to it.
      if (!access && refreshToken) {
        const ok = await d.db.scoped({ tenantId: null }, async (tx) => !!(await sessionsRepository.lockToken(tx, hashToken(refreshToken))));
        if (!ok) return;
      }
      const userId = await d.db.scoped({ tenantId: null }, async (tx) => {
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
      const m = await d.db.scoped({ tenantId: null, userId: ctx.userId, email: ctx.email }, async (tx) => {
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
      const issued = await mint({ id: ctx.userId, email: ctx.email }, ctx.sessionId, m.row, undefined, m.cut);
      return { issued, membership: m.view };
    },

    /** Mints a session for a membership just created (POST /tenants switches the caller to the new centre). */
    async issueFor(ctx: RequestContext, m: MintedMembership) {
      const now = d.clock.now();
      const cut = await d.db.scoped({ tenantId: m.tenantId }, async (tx) => {
        await sessionsRepository.setMembership(tx, ctx.sessionId, m.id, m.tenantId, now);
        return sessionsRepository.cutOff(tx, ctx.sessionId, now);
      });
      await pushCutoff(ctx.userId, ctx.sessionId, cut);
      return mint({ id: ctx.userId, email: ctx.email }, ctx.sessionId, m, undefined, cut);
    },

    /** POST /tenants: at most `tenantsPerAccountPerDay` centres per account and UTC day. */
    limitTenantCreation: (userId: string) =>
      limitWindow((w) => keys.tenantsCreated(userId, w), 86_400, d.config.tenantsPerAccountPerDay, 'Too many centres created by this account today; try again tomorrow'),
    /** POST /memberships: at most `invitationsPerTenantPerHour` invitations per centre and hour. */
    limitInvitations: (tenantId: string) =>
      limitWindow((w) => keys.invitationsSent(tenantId, w), 3600, d.config.invitationsPerTenantPerHour, 'Too many invitations from this centre this hour; try again later'),

    /**
     * The per-request check. Warm path: verify the JWT (no I/O), then ONE cache round trip reading the family's
     * revocation cut-off and the entitlements version while counting the rate limit; no database query. A token minted before
     * a role, entitlement or status change (older EV) recomputes permissions from the database.
     */
    async authenticate(token: string, meta: RequestMeta): Promise<{ ctx: RequestContext; claims: AccessClaims }> {
      const claims = await d.tokens.verifyAccess(token, nowMs());
      if (!claims) throw unauthenticated('The session has expired or is not valid');
      const window = Math.floor(nowMs() / 60_000);
      const keyList = [keys.cut(claims.mid, claims.sub, claims.sid)];
      if (claims.mid) keyList.push(keys.ev(claims.mid));
      const { values, count } = await d.cache.readAndCount(keyList, keys.rate(claims.mid, claims.sub, window), 120);
      // No cached cut-off (first use, or Redis flushed or failed over): the database decides, never "not revoked".
      const cut = values[0] !== null ? Number(values[0]) : await cutoffFromDb(claims);
      if (issuedAtMs(claims) < cut) throw unauthenticated('The session has ended; sign in again');
      if (count > d.config.rateLimitPerMinute) {
        throw rateLimited('Too many requests; slow down', nowMs());
      }
      const base = {
        requestId: meta.requestId,
        userId: claims.sub,
        email: claims.email,
        sessionId: claims.sid,
        ip: meta.ip,
        userAgent: meta.userAgent,
      };
      if (!claims.mid || !claims.tid) {
        return { claims, ctx: { ...base, tenantId: null, membershipId: null, roles: [], entitlements: [], permissions: [], guardianOnly: false } };
      }
      const currentEv = values[1] ?? null;
      let roles = claims.roles;
      let entitlements = claims.ent;
      let permissions: Permission[];
      if (currentEv !== null && Number(currentEv) === claims.ev) {
        permissions = permissionsFor(roles, entitlements);
      } else {
        const fresh = await loadMembership(claims, currentEv);
        if (!fresh) {
          // The membership is gone: its cache tag may have been missed when the family was revoked, so the database
          // confirms the family before the token is honoured even without a centre.
          if (values[0] !== null && issuedAtMs(claims) < (await cutoffFromDb(claims))) throw unauthenticated('The session has ended; sign in again');
          // Membership gone or suspended: still signed in, but with no access to the centre.
          return { claims, ctx: { ...base, tenantId: null, membershipId: null, roles: [], entitlements: [], permissions: [], guardianOnly: false } };
        }
        ({ roles, entitlements, permissions } = fresh);
      }
      return {
        claims,
        ctx: { ...base, tenantId: claims.tid, membershipId: claims.mid, roles, entitlements, permissions, guardianOnly: isGuardianOnly(roles) },
      };
    },

    async context(ctx: RequestContext) {
      return d.db.scoped({ tenantId: ctx.tenantId, userId: ctx.userId, email: ctx.email, crossCentre: true }, async (tx) => {
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

    /** Called after a membership's roles, entitlements or status change commit: the next request sees it. */
    async bumpEntitlementsVersion(membershipId: string, version: number) {
      await d.cache.setIfGreater(keys.ev(membershipId), version, 24 * 3600);
    },
    async forgetMembership(membershipId: string) {
      // Deleted: a tombstone no token's version can match (and no later write can lower), so every token for it
      // falls back to the database, which finds nothing.
      await d.cache.setIfGreater(keys.ev(membershipId), NEVER, 24 * 3600);
    },
  };

  async function loadMembership(claims: AccessClaims, currentEv: string | null) {
    if (currentEv !== null) {
      const cached = await d.cache.get(keys.perms(claims.mid!, Number(currentEv)));
      if (cached) {
        const p = JSON.parse(cached) as { roles: string[]; entitlements: string[]; permissions: Permission[]; active: boolean };
        return p.active ? p : null;
      }
    }
    const m = await d.db.scoped({ tenantId: claims.tid }, (tx) => membershipsRepository.get(tx, claims.tid!, claims.mid!));
    const active = !!m && m.status === 'active' && m.userId === claims.sub;
    const value = { roles: m?.roles ?? [], entitlements: m?.entitlements ?? [], permissions: active ? permissionsFor(m!.roles, m!.entitlements) : [], active };
    if (m) {
      await d.cache.set(keys.perms(m.id, m.version), JSON.stringify(value), 3600);
      // The version the database just confirmed; forward-only, so it can never undo a newer one or a tombstone.
      await d.cache.setIfGreater(keys.ev(m.id), m.version, 24 * 3600);
    } else {
      await d.cache.setIfGreater(keys.ev(claims.mid!), NEVER, 24 * 3600);
    }
    return active ? value : null;
  }
}

export type AuthService = ReturnType<typeof createAuthService>;

function metaFields(meta: RequestMeta) {
  return { ip: meta.ip, userAgent: meta.userAgent, requestId: meta.requestId };
}

function setUserScope(userId: string, email: string) {
  return sql`select set_config('app.user_id', ${userId}, true), set_config('app.user_email', ${email.toLowerCase()}, true)`;
}
