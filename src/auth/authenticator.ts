import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { RequestContext, RequestMeta } from '../core/context.js';
import { unauthenticated } from '../core/errors.js';
import { rateLimitExceeded, type RateLimiter, type RateLimitResult } from '../core/rate-limits.js';
import { isGuardianOnly, permissionsFor, type Permission } from '../core/security/permissions.js';
import { issuedAtMs, type AccessClaims, type TokenService } from '../core/security/tokens.js';
import { forTenant, type Database } from '../db/db.js';
import { membershipsRepository } from '../db/tenancy.repository.js';
import { keys } from './cache-keys.js';
import { createSessionState, NEVER } from './session-state.js';

interface Deps {
  db: Database;
  cache: Cache;
  tokens: TokenService;
  clock: Clock;
  limits: RateLimiter;
}

/**
 * The per-request hot path that turns an access token into a RequestContext, the cache entries it reads (the
 * entitlements version a membership change bumps) and the counted limits of the centres' own writes.
 */
export function createAuthenticator(d: Deps) {
  const { nowMs, cutoffFromDb } = createSessionState(d);

  return {
    /**
     * The per-request check. Warm path: verify the JWT (no I/O), then ONE cache round trip reading the family's
     * revocation cut-off and the entitlements version while the `per-minute` rate limit counts (its commands go out
     * together with the read); no database query. A token minted before a role, entitlement or status change (older
     * EV) recomputes permissions from the database. `rate` is the limit's outcome (the RateLimit headers).
     */
    async authenticate(token: string, meta: RequestMeta): Promise<{ ctx: RequestContext; claims: AccessClaims; rate: RateLimitResult }> {
      const claims = await d.tokens.verifyAccess(token, nowMs());
      if (!claims) throw unauthenticated('The session has expired or is not valid');
      // The cached copies are read under the cache's current generation only: a Redis that restarted or went back
      // to an older snapshot has a new one (its old entries read as misses); none known yet → no read, the database.
      const gen = d.cache.generation();
      const keyList = gen ? [keys.cut(gen, claims.mid, claims.sub, claims.sid)] : [];
      if (gen && claims.mid) keyList.push(keys.ev(gen, claims.mid));
      const [res, rate] = await Promise.all([keyList.length ? d.cache.readAndCount(keyList, null, 120) : { values: [], count: 0 }, d.limits.check('per-minute', `${claims.mid ?? '-'}:${claims.sub}`)]);
      const values = gen ? res.values : [null, null];
      // No cached cut-off (first use, or Redis flushed, restored or failed over): the database decides, never "not revoked".
      const cut = values[0] != null ? Number(values[0]) : await cutoffFromDb(claims);
      if (issuedAtMs(claims) < cut) throw unauthenticated('The session has ended; sign in again');
      if (!rate.allowed) throw rateLimitExceeded(rate, d.limits.policies['per-minute'].message);
      const base = {
        requestId: meta.requestId,
        userId: claims.sub,
        email: claims.email,
        sessionId: claims.sid,
        ip: meta.ip,
        userAgent: meta.userAgent,
      };
      if (!claims.mid || !claims.tid) {
        return { claims, rate, ctx: { ...base, tenantId: null, membershipId: null, roles: [], entitlements: [], permissions: [], guardianOnly: false } };
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
          if (values[0] != null && issuedAtMs(claims) < (await cutoffFromDb(claims))) throw unauthenticated('The session has ended; sign in again');
          // Membership gone or suspended: still signed in, but with no access to the centre.
          return { claims, rate, ctx: { ...base, tenantId: null, membershipId: null, roles: [], entitlements: [], permissions: [], guardianOnly: false } };
        }
        ({ roles, entitlements, permissions } = fresh);
      }
      return {
        claims,
        rate,
        ctx: { ...base, tenantId: claims.tid, membershipId: claims.mid, roles, entitlements, permissions, guardianOnly: isGuardianOnly(roles) },
      };
    },

    /** Called after a membership's roles, entitlements or status change commit: the next request sees it. */
    async bumpEntitlementsVersion(membershipId: string, version: number) {
      const gen = d.cache.generation();
      if (gen) await d.cache.setIfGreater(keys.ev(gen, membershipId), version, 24 * 3600);
    },
    async forgetMembership(membershipId: string) {
      // Deleted: a tombstone no token's version can match (and no later write can lower), so every token for it
      // falls back to the database, which finds nothing.
      const gen = d.cache.generation();
      if (gen) await d.cache.setIfGreater(keys.ev(gen, membershipId), NEVER, 24 * 3600);
    },
    /** POST /tenants: at most `tenantsPerAccountPerDay` centres per account and UTC day. */
    limitTenantCreation: (userId: string) => d.limits.consume('tenants-per-day', userId),
    /** POST /memberships: at most `invitationsPerTenantPerHour` invitations per centre and hour. */
    limitInvitations: (tenantId: string) => d.limits.consume('invitations-per-hour', tenantId),

  };

  async function loadMembership(claims: AccessClaims, currentEv: string | null) {
    // The generation before the database read: an answer read before the cache went back lands under the old one.
    const gen = d.cache.generation();
    if (currentEv !== null && gen) {
      const cached = await d.cache.get(keys.perms(gen, claims.mid!, Number(currentEv)));
      if (cached) {
        const p = JSON.parse(cached) as { roles: string[]; entitlements: string[]; permissions: Permission[]; active: boolean };
        return p.active ? p : null;
      }
    }
    const m = await d.db.scoped(forTenant(claims.tid!), (tx) => membershipsRepository.get(tx, claims.tid!, claims.mid!));
    const active = !!m && m.status === 'active' && m.userId === claims.sub;
    const value = { roles: m?.roles ?? [], entitlements: m?.entitlements ?? [], permissions: active ? permissionsFor(m!.roles, m!.entitlements) : [], active };
    if (!gen) {
      // No generation known (Redis reconnecting): nothing is cached; the next request asks again.
    } else if (m) {
      await d.cache.set(keys.perms(gen, m.id, m.version), JSON.stringify(value), 3600);
      // The version the database just confirmed; forward-only, so it can never undo a newer one or a tombstone.
      await d.cache.setIfGreater(keys.ev(gen, m.id), m.version, 24 * 3600);
    } else {
      await d.cache.setIfGreater(keys.ev(gen, claims.mid!), NEVER, 24 * 3600);
    }
    return active ? value : null;
  }
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
