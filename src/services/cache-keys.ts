/**
 * Cache keys. Everything one authenticated request reads lives under the membership's hash tag (or the user's when
 * there is no membership), so one pipeline answers it even on Redis Cluster.
 */
const tag = (membershipId: string | null, userId: string) => (membershipId ? `{m:${membershipId}}` : `{u:${userId}}`);

export const keys = {
  ev: (membershipId: string) => `{m:${membershipId}}:ev`,
  perms: (membershipId: string, ev: number) => `{m:${membershipId}}:perms:${ev}`,
  blockedJti: (membershipId: string | null, userId: string, jti: string) => `${tag(membershipId, userId)}:bl:jti:${jti}`,
  blockedSession: (membershipId: string | null, userId: string, sid: string) => `${tag(membershipId, userId)}:bl:sid:${sid}`,
  rate: (membershipId: string | null, userId: string, window: number) => `${tag(membershipId, userId)}:rl:${window}`,
  /** Counters of the /auth/* limits: `bucket` is ip, account or session. */
  authRate: (bucket: string, subject: string, window: number) => `rl:auth:${bucket}:${subject}:${window}`,
  idemLock: (tenantId: string | null, userId: string, method: string, path: string, key: string) =>
    `idem:${tenantId ?? '-'}:${userId}:${method}:${path}:${key}`,
};
