import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { RequestMeta } from '../core/context.js';
import type { AccessClaims, TokenService } from '../core/security/tokens.js';
import { acrossCentres, type Database, type Tx } from '../db/db.js';
import { sessionsRepository } from '../db/sessions.repository.js';
import { membershipsRepository, type MembershipRow } from '../db/tenancy.repository.js';
import { keys } from './cache-keys.js';

/**
 * What the three rooms of auth share (sessions.service.ts, authenticator.ts, member-context.service.ts): the session
 * token a sign-in is given, the family's revocation cut-off in the cache, and a user's memberships as they are shown.
 */

export interface AuthConfig {
  refreshGraceSeconds: number;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
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
export type MintedMembership = Pick<MembershipRow, 'id' | 'tenantId' | 'roles' | 'entitlements' | 'version'>;

export const membershipView = (m: MembershipRow, tenantName: string): MembershipView => ({
  id: m.id,
  tenantId: m.tenantId,
  tenantName,
  roles: m.roles,
  entitlements: m.entitlements,
  status: m.status,
});

/** A user's memberships with how each is shown (RLS must show the user's rows: a scope across centres). */
export async function listMemberships(tx: Tx, userId: string) {
    const rows = await membershipsRepository.listForUser(tx, userId);
    return rows.map((r) => ({ row: r.m, view: membershipView(r.m, r.tenantName) }));
}

export function metaFields(meta: RequestMeta) {
  return { ip: meta.ip, userAgent: meta.userAgent, requestId: meta.requestId };
}

export interface SessionStateDeps {
  db: Database;
  cache: Cache;
  tokens: TokenService;
  clock: Clock;
}

/** Minting a session token, and the family's cut-off: forward-only in the cache, the database's word on a miss. */
export function createSessionState(d: SessionStateDeps) {
  const nowMs = () => d.clock.now().getTime();

  async function mint(
    user: { id: string; email: string },
    sessionId: string,
    m: MintedMembership | null,
    refreshToken?: string,
    atMs: number = nowMs(),
    /** The cache's generation from before the membership was read (see cutoffFromDb); the version lands under it. */
    gen: string | null = d.cache.generation(),
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
    const { token, exp } = await d.tokens.signAccess(claims, atMs, nowMs());
    // Only ever forward: a refresh that read the membership before a change must not put the old version back.
    if (m && gen) await d.cache.setIfGreater(keys.ev(gen, m.id), m.version, 24 * 3600).catch(() => undefined);
    return { accessToken: token, accessExp: exp, refreshToken, csrfToken: d.tokens.csrfFor(sessionId), sessionId };
  }

  /** A cached cut-off lives as long as the tokens it judges; then the database is asked again. */
  const cutTtl = () => d.tokens.accessTtlSeconds + 60;

  /**
   * Moves a family's cut-off forward (after the database has it): every access token of the family minted before
   * `value` is refused, whatever membership it was minted for, because it is written under every key such a token
   * is checked by. `NEVER` ends the family (logout, stolen refresh token).
   */
  async function pushCutoff(userId: string, sid: string, value: number) {
    const ids = await d.db.scoped(acrossCentres({ userId }), (tx) => membershipsRepository.idsForUser(tx, userId));
    // No generation known (Redis reconnecting): nothing to write; readers ask the database until one is.
    const gen = d.cache.generation();
    if (!gen) return;
    await Promise.all([null, ...ids].map((mid) => d.cache.setIfGreater(keys.cut(gen, mid, userId, sid), value, cutTtl())));
  }

  /** The family's cut-off as the database has it (a cache miss, a flushed or failed-over Redis), cached forward-only. */
  async function cutoffFromDb(claims: AccessClaims): Promise<number> {
    // The generation before the read: were the cache to go back meanwhile, this answer lands under the old one.
    const gen = d.cache.generation();
    const s = await d.db.scoped(acrossCentres({}), (tx) => sessionsRepository.get(tx, claims.sid));
    const cut = !s || s.revokedAt || s.userId !== claims.sub ? NEVER : (s.accessValidAfter?.getTime() ?? 0);
    if (!gen) return cut;
    return d.cache.setIfGreater(keys.cut(gen, claims.mid, claims.sub, claims.sid), cut, cutTtl()).catch(() => cut);
  }

  return { nowMs, mint, pushCutoff, cutoffFromDb };
}
