import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError, forbidden, unauthenticated } from '../../core/errors.js';
import type { RequestContext, RequestMeta, TenantContext } from '../../core/context.js';
import { resolveClientIp } from '../../core/client-ip.js';
import { logContext } from '../../core/logger.js';
import { rateLimitHeaders, type RateLimitResult } from '../../core/rate-limits.js';
import type { Permission } from '../../core/security/permissions.js';
import { COOKIE } from '../cookies.js';
import type { AppContainer, AppEnv } from '../env.js';

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
 * Whether the caller sees the resource an unsafe route's path names, asked only of a caller who lacks the route's
 * permission (CONTRACT §4: visibility before permission). Each such route names its check (`visible` in defineRoute):
 * the owning module's own answer, or `{ none: reason }` where no check applies.
 */
export type VisibilityCheck = (services: AppContainer, ctx: TenantContext, params: Record<string, string>) => Promise<boolean>;
export type Visibility = VisibilityCheck | { none: string };

/**
 * Route-level permission declaration (CONTRACT §4). Resource rules (a guardian's own child) live in the services.
 * Visibility comes before permission: a caller without the permission who cannot even see the resource the path
 * names gets 404, like for another tenant's; 403 only for what they can see. `visible` is the route's own check.
 */
export function requirePermission(permission: Permission | 'authenticated', visible?: Visibility): MiddlewareHandler<AppEnv> {
  const check = typeof visible === 'function' ? visible : undefined;
  return async (c, next) => {
    const ctx = c.get('ctx');
    if (!ctx) throw unauthenticated();
    if (permission !== 'authenticated') {
      if (!ctx.tenantId) throw forbidden('Choose an active centre membership first');
      if (!ctx.permissions.includes(permission)) {
        if (check && ctx.membershipId && UNSAFE.has(c.req.method) && !(await check(c.get('container'), ctx as TenantContext, c.req.param())))
          throw new AppError('NOT_FOUND', 'Not found');
        throw forbidden();
      }
    }
    await next();
  };
}

/**
 * A visibility check from the owning module's read: the caller sees the resource when they may read that kind of
 * resource (`read`) and `get` finds it for them — a NOT_FOUND from `get` is "cannot see it". A caller who may not read
 * that kind of resource at all is answered 403 (they learn nothing: the same 403 whether the id exists or not).
 */
export function visibleThrough(read: Permission, get: (services: AppContainer, ctx: TenantContext, params: Record<string, string>) => Promise<unknown>): VisibilityCheck {
  return async (services, ctx, params) => {
    if (!ctx.permissions.includes(read)) return true;
    try {
      await get(services, ctx, params);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  };
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
