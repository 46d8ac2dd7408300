import { AppError } from './errors.js';

/**
 * THE rate-limit policy table: every counted limit of the service, its number, window and what it is counted per.
 * The numbers are the contract's (CONTRACT §3 and the routes' own lines) and the RATE_LIMIT_* settings. The limiter
 * (adapters/cache/rate-limiter.ts, rate-limiter-flexible on Redis or in process) counts a sliding window: the current
 * window's count plus the previous one's weighted by how much of it still overlaps the last `windowSeconds`, so a burst
 * at a window edge gets no second allowance (a fixed window lets 2× through in a few seconds).
 *
 * The kiosk PIN lockout (5 wrong PINs in 5 minutes lock that kiosk for 5 minutes) is not here: it is a lockout
 * decided in the kiosk's own transaction with its audit row (modules/kiosk/kiosks.service.ts), not a request rate.
 */
export interface RateLimitPolicy {
  /** Requests (events) allowed in any `windowSeconds`. */
  limit: number;
  windowSeconds: number;
  /** What one counter is kept for (documentation; the caller passes the key). */
  per: string;
  /** The 429's message. */
  message: string;
  /**
   * When the store does not answer: `closed` fails the request with 503 NOT_READY (like every other cache read),
   * `open` lets it through (a signed webhook delivery from the provider, checked by its signature anyway).
   */
  whenStoreDown: 'closed' | 'open';
}

export interface RateLimitNumbers {
  rateLimitPerMinute: number;
  rateLimitAuthPerMinute: number;
  rateLimitAuthPerUserPerMinute: number;
  rateLimitTenantsPerAccountPerDay: number;
  rateLimitInvitationsPerTenantPerHour: number;
}

/** CONTRACT: more than 20 accepted submissions in an hour from one IP for one form → 429. */
export const PUBLIC_SUBMISSIONS_PER_HOUR = 20;
export const WEBHOOK_DELIVERIES_PER_MINUTE = 600;

export function rateLimitPolicies(n: RateLimitNumbers) {
  return {
    'per-minute': { limit: n.rateLimitPerMinute, windowSeconds: 60, per: 'signed-in user and membership', message: 'Too many requests; slow down', whenStoreDown: 'closed' },
    'auth-ip': { limit: n.rateLimitAuthPerMinute, windowSeconds: 60, per: 'client IP on /auth/*', message: 'Too many sign-in attempts; try again shortly', whenStoreDown: 'closed' },
    'auth-account': { limit: n.rateLimitAuthPerUserPerMinute, windowSeconds: 60, per: 'Supabase account on /auth/exchange', message: 'Too many sign-in attempts for this account; try again shortly', whenStoreDown: 'closed' },
    'auth-session': { limit: n.rateLimitAuthPerUserPerMinute, windowSeconds: 60, per: 'session on /auth/refresh and /auth/switch', message: 'Too many sign-in attempts for this account; try again shortly', whenStoreDown: 'closed' },
    'tenants-per-day': { limit: n.rateLimitTenantsPerAccountPerDay, windowSeconds: 86_400, per: 'account on POST /tenants', message: 'Too many centres created by this account today; try again tomorrow', whenStoreDown: 'closed' },
    'invitations-per-hour': { limit: n.rateLimitInvitationsPerTenantPerHour, windowSeconds: 3600, per: 'centre on POST /memberships', message: 'Too many invitations from this centre this hour; try again later', whenStoreDown: 'closed' },
    'public-form': { limit: PUBLIC_SUBMISSIONS_PER_HOUR, windowSeconds: 3600, per: 'client IP and application form on POST /public/applications', message: 'Too many applications from this address; try again later', whenStoreDown: 'closed' },
    webhook: { limit: WEBHOOK_DELIVERIES_PER_MINUTE, windowSeconds: 60, per: 'client IP on POST /webhooks/payments/*', message: 'Too many webhook deliveries from this address', whenStoreDown: 'open' },
  } satisfies Record<string, RateLimitPolicy>;
}

export type RateLimitPolicyName = keyof ReturnType<typeof rateLimitPolicies>;
export type RateLimitPolicies = Record<RateLimitPolicyName, RateLimitPolicy>;

/** One counted event's outcome. */
export interface RateLimitResult {
  policy: RateLimitPolicyName;
  limit: number;
  windowSeconds: number;
  allowed: boolean;
  /** Events still allowed now (0 when refused). */
  remaining: number;
  /** Allowed: seconds until the current window turns; refused: seconds until one more is allowed (Retry-After). */
  resetSeconds: number;
}

/** The port services use: counts one event for `key` under a policy (a refused event is not counted). */
export interface RateLimiter {
  readonly policies: RateLimitPolicies;
  /** Counts one event; throws 429 RATE_LIMITED (Retry-After, RateLimit, RateLimit-Policy) past the limit. */
  consume(policy: RateLimitPolicyName, key: string): Promise<RateLimitResult>;
  /** Counts one event and returns the outcome without throwing. */
  check(policy: RateLimitPolicyName, key: string): Promise<RateLimitResult>;
}

/**
 * The IETF headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "per-minute";q=6000;w=60` and
 * `RateLimit: "per-minute";r=5999;t=42`.
 */
export function rateLimitHeaders(r: RateLimitResult): Record<string, string> {
  return {
    'RateLimit-Policy': `"${r.policy}";q=${r.limit};w=${r.windowSeconds}`,
    RateLimit: `"${r.policy}";r=${r.remaining};t=${r.resetSeconds}`,
  };
}

/** The 429 for a refused event: the contract's code, Retry-After, and the IETF headers beside it. */
export function rateLimitExceeded(r: RateLimitResult, message: string) {
  return new AppError('RATE_LIMITED', message, undefined, { 'Retry-After': String(Math.max(1, r.resetSeconds)), ...rateLimitHeaders(r) });
}

/**
 * The sliding-window arithmetic, shared by both stores. `previous` and `current` are the counts of the previous and
 * current fixed windows (current includes this event), `elapsed` the fraction of the current window gone (0–1).
 */
export function slidingWindow(policy: { limit: number; windowSeconds: number }, previous: number, current: number, elapsed: number) {
  const { limit: n, windowSeconds: w } = policy;
  const weighted = previous * (1 - elapsed) + current;
  if (weighted <= n) {
    // `t`: the seconds until this window turns (the previous window's share is gone then).
    return { allowed: true, remaining: Math.max(0, Math.floor(n - weighted)), resetSeconds: Math.max(1, ceilSeconds((1 - elapsed) * w)) };
  }
  // Refused: this event is not counted. When does one more fit?
  const counted = current - 1;
  let waitFraction: number;
  if (counted <= n - 1 && previous > 0) {
    // Still in this window, once enough of the previous one has slid out: previous·(1−f) + counted + 1 ≤ n.
    waitFraction = 1 - (n - 1 - counted) / previous - elapsed;
  } else {
    // The next window, where this one is the previous: counted·(1−g) + 1 ≤ n.
    waitFraction = 1 - elapsed + (counted > 0 ? Math.max(0, 1 - (n - 1) / counted) : 0);
  }
  return { allowed: false, remaining: 0, resetSeconds: Math.max(1, ceilSeconds(waitFraction * w)) };
}

/** Whole seconds up, to the millisecond (40.000000001 s of floating-point noise is 40, not 41). */
const ceilSeconds = (seconds: number) => Math.ceil(Math.round(seconds * 1000) / 1000);
