/**
 * Cache keys. Everything one authenticated request reads lives under the membership's hash tag (or the user's when
 * there is no membership), so one pipeline answers it even on Redis Cluster.
 */
const tag = (membershipId: string | null, userId: string) => (membershipId ? `{m:${membershipId}}` : `{u:${userId}}`);

export const keys = {
  /**
   * The copies of database facts (entitlements version, permission set, cut-off) carry the cache's generation
   * (`Cache.generation()`): a Redis restarted empty or restored from an older snapshot has a new one, so what it
   * holds from before reads as a miss and the database decides (issue 20, point 6).
   */
  ev: (gen: string, membershipId: string) => `{m:${membershipId}}:${gen}:ev`,
  perms: (gen: string, membershipId: string, ev: number) => `{m:${membershipId}}:${gen}:perms:${ev}`,
  /**
   * A refresh family's cut-off (ms): its access tokens minted earlier are refused; REVOKED refuses them all. Kept
   * under every tag a token of the family may carry (each of the user's memberships, and none); the database is the
   * truth on a miss.
   */
  cut: (gen: string, membershipId: string | null, userId: string, sid: string) => `${tag(membershipId, userId)}:${gen}:cut:${sid}`,
  /** Failed sign-ins per IP and minute: a count for the log line, not a limit (the limits: core/rate-limits.ts). */
  authRate: (bucket: string, subject: string, window: number) => `rl:auth:${bucket}:${subject}:${window}`,
  idemLock: (tenantId: string | null, userId: string, method: string, path: string, key: string) =>
    `idem:${tenantId ?? '-'}:${userId}:${method}:${path}:${key}`,
};
