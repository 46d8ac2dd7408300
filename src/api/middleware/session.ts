import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError, forbidden, unauthenticated } from '../../core/errors.js';
import type { RequestContext, RequestMeta, TenantContext } from '../../core/context.js';
import { resolveClientIp } from '../../core/client-ip.js';
import { logContext } from '../../core/logger.js';
import { rateLimitHeaders, type RateLimitResult } from '../../core/rate-limits.js';
import type { Permission } from '../../core/security/permissions.js';
import { COOKIE } from '../cookies.js';
import type { AppEnv } from '../env.js';

export const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return { requestId: c.get('requestId'), ip: clientIp(c), userAgent: c.req.header('user-agent') ?? null };
}

/**
 * The caller's address — for rate limits, audit rows and logs, the one place it is decided: API Gateway's source IP on
 * Lambda, the socket's locally; X-Forwarded-For only through the proxies TRUST_PROXY names (core/client-ip.ts).
 */
export function clientIp(c: Context<AppEnv>): string | null {
  const env = c.env as Record<string, any> | undefined;
  const lambdaIp = env?.event?.requestContext?.http?.sourceIp;
  const nodeIp = env?.incoming?.socket?.remoteAddress;
  const peer = typeof lambdaIp === 'string' ? lambdaIp : typeof nodeIp === 'string' ? nodeIp : null;
  const trust = c.get('container')?.config.trustProxy;
  return trust ? resolveClientIp(peer, c.req.header('x-forwarded-for'), trust) : resolveClientIp(peer, null, undefined);
}

/** The IETF RateLimit-Policy and RateLimit headers of a counted limit on the answer (core/rate-limits.ts). */
export function setRateLimitHeaders(c: Context<AppEnv>, r: RateLimitResult) {
  for (const [name, value] of Object.entries(rateLimitHeaders(r))) c.header(name, value);
}

/** Verifies the session cookie and builds the RequestContext; checks CSRF on unsafe methods. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getCookie(c, COOKIE.session);
    if (!token) throw unauthenticated();
    const { authenticator, tokens } = c.get('container');
    const { ctx, claims, rate } = await authenticator.authenticate(token, requestMeta(c));
    setRateLimitHeaders(c, rate);
    if (UNSAFE.has(c.req.method)) {
      if (!tokens.verifyCsrf(claims.sid, c.req.header('x-csrf-token'), getCookie(c, COOKIE.csrf)))
        throw new AppError('CSRF_FAILED', 'Missing or invalid CSRF token (send X-CSRF-Token equal to the __Host-csrf cookie)');
    }
    c.set('ctx', ctx);
    c.set('claims', claims);
    const fields = logContext.getStore();
    if (fields && ctx.tenantId) fields.tenantId = ctx.tenantId;
    await next();
  };
}

/**
 * Route-level permission declaration (CONTRACT §4). Resource rules (a guardian's own child) live in the services.
 * Visibility comes before permission: a caller without the permission who cannot even see the resource the path
 * names gets 404, like for another tenant's; 403 only for what they can see. `resourcePath` is the route's template.
 */
export function requirePermission(permission: Permission | 'authenticated', resourcePath?: string): MiddlewareHandler<AppEnv> {
  const readPaths = resourcePath ? visibilityPaths(resourcePath) : [];
  return async (c, next) => {
    const ctx = c.get('ctx');
    if (!ctx) throw unauthenticated();
    if (permission !== 'authenticated') {
      if (!ctx.tenantId) throw forbidden('Choose an active centre membership first');
      if (!ctx.permissions.includes(permission)) {
        // Only for changes: the check itself is a GET, so it can never come back here.
        if (readPaths.length && UNSAFE.has(c.req.method) && !(await canSee(c, readPaths))) throw new AppError('NOT_FOUND', 'Not found');
        throw forbidden();
      }
    }
    await next();
  };
}

/** The read routes that say whether the caller sees the path's resource: each prefix ending in a parameter, longest first. */
function visibilityPaths(template: string): string[][] {
  const segments = template.split('/').filter(Boolean);
  const out: string[][] = [];
  for (let n = segments.length; n > 0; n--) if (/^\{.+\}$/.test(segments[n - 1]!)) out.push(segments.slice(0, n));
  return out;
}

/** Asks the app itself, as the caller, for the resource (GET on the nearest read route); false only on a resource 404. */
async function canSee(c: Context<AppEnv>, candidates: string[][]): Promise<boolean> {
  const dispatch = c.get('dispatch');
  if (!dispatch) return true;
  const actual = c.req.path.split('/').filter(Boolean);
  for (const template of candidates) {
    const path = '/' + actual.slice(0, template.length).join('/');
    const res = await dispatch(new Request(new URL(path, c.req.url), { headers: { cookie: c.req.header('cookie') ?? '', 'x-request-id': c.get('requestId') } }));
    if (res.status !== 404) return true;
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (!body?.error?.message?.startsWith('No route for')) return false;
  }
  return true;
}

export function ctxOf(c: Context<AppEnv>): RequestContext {
  const ctx = c.get('ctx');
  if (!ctx) throw unauthenticated();
  return ctx;
}
export function tenantCtx(c: Context<AppEnv>): TenantContext {
  const ctx = ctxOf(c);
  if (!ctx.tenantId || !ctx.membershipId) throw forbidden('Choose an active centre membership first');
  return ctx as TenantContext;
}
