import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError, forbidden, unauthenticated } from '../../core/errors.js';
import type { RequestContext, RequestMeta, TenantContext } from '../../core/context.js';
import { logContext } from '../../core/logger.js';
import type { Permission } from '../../core/security/permissions.js';
import type { AccessClaims } from '../../core/security/tokens.js';
import { COOKIE } from '../cookies.js';
import type { AppEnv } from '../env.js';

export const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return { requestId: c.get('requestId'), ip: clientIp(c), userAgent: c.req.header('user-agent') ?? null };
}

/** The caller's address: API Gateway's source IP on Lambda, the socket's locally. Never a client-set header. */
export function clientIp(c: Context<AppEnv>): string | null {
  const env = c.env as Record<string, any> | undefined;
  const lambdaIp = env?.event?.requestContext?.http?.sourceIp;
  if (typeof lambdaIp === 'string') return lambdaIp;
  const nodeIp = env?.incoming?.socket?.remoteAddress;
  if (typeof nodeIp === 'string') return nodeIp.replace(/^::ffff:/, '');
  return null;
}

/** Verifies the session cookie and builds the RequestContext; checks CSRF on unsafe methods. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getCookie(c, COOKIE.session);
    if (!token) throw unauthenticated();
    const { auth, tokens } = c.get('container');
    const { ctx, claims } = await auth.authenticate(token, requestMeta(c));
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

/** Route-level permission declaration (CONTRACT §4). Resource rules (a guardian's own child) live in the services. */
export function requirePermission(permission: Permission | 'authenticated'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ctx = c.get('ctx');
    if (!ctx) throw unauthenticated();
    if (permission !== 'authenticated') {
      if (!ctx.tenantId) throw forbidden('Choose an active centre membership first');
      if (!ctx.permissions.includes(permission)) throw forbidden();
    }
    await next();
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
export function claimsOf(c: Context<AppEnv>): AccessClaims {
  const claims = c.get('claims');
  if (!claims) throw unauthenticated();
  return claims;
}
