import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { getCookie } from 'hono/cookie';
import { AppError, unauthenticated } from '../../core/errors.js';
import { clearSessionCookies, COOKIE, setCsrfCookie, setSessionCookies } from '../cookies.js';
import type { AppEnv } from '../env.js';
import { authenticate, ctxOf, requestMeta, setRateLimitHeaders } from '../middleware/session.js';
import { ErrorSchema, jsonBody, jsonResponse } from './registry.js';
import type { Context } from 'hono';
import { ExchangeBody, ExchangeResponse, MeContext, RefreshResponse, SwitchBody, SwitchResponse } from './auth.schemas.js';

const err = (d: string) => ({ description: d, content: { 'application/json': { schema: ErrorSchema } } });

/** Per-IP limit on /auth/* (a kiosk at drop-off: many parents, one IP); its RateLimit headers on the answer. */
const limitAuth = async (c: Context<AppEnv>) => setRateLimitHeaders(c, await c.get('container').sessions.limitIp(requestMeta(c).ip));

function lifetimes(c: Context<AppEnv>) {
  const { config } = c.get('container');
  return { accessTtl: config.accessTokenTtlSeconds, refreshTtl: config.sessionAbsoluteSeconds };
}

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/exchange',
      summary: 'Exchange a Supabase access token for the service session (sets the three cookies)',
      request: jsonBody(ExchangeBody),
      responses: { 200: jsonResponse(ExchangeResponse, 'Signed in'), 401: err('INVALID_TOKEN'), 403: err('FORBIDDEN (Origin)'), 429: err('RATE_LIMITED') },
    }),
    async (c) => {
      const { sessions, config } = c.get('container');
      // No login CSRF: a browser request from an origin we do not serve is refused.
      const origin = c.req.header('origin');
      if (origin && origin !== new URL(c.req.url).origin && origin !== config.publicUrl && !config.appOrigins.includes(origin))
        throw new AppError('FORBIDDEN', 'Origin not allowed');
      await limitAuth(c);
      const { accessToken } = c.req.valid('json');
      const { issued, body } = await sessions.exchange(accessToken, requestMeta(c));
      setSessionCookies(c, issued, lifetimes(c));
      c.header('Cache-Control', 'no-store');
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Rotate the refresh token and get a new session (needs X-CSRF-Token)',
      responses: { 200: jsonResponse(RefreshResponse, 'Refreshed'), 401: err('UNAUTHENTICATED'), 403: err('CSRF_FAILED') },
    }),
    async (c) => {
      const { sessions, tokens } = c.get('container');
      await limitAuth(c);
      const refresh = getCookie(c, COOKIE.refresh);
      if (!refresh) throw unauthenticated('No refresh token');
      const sid = sessions.sessionIdOfRefresh(refresh);
      if (!sid) throw unauthenticated('The refresh token is not valid; sign in again');
      if (!tokens.verifyCsrf(sid, c.req.header('x-csrf-token'), getCookie(c, COOKIE.csrf)))
        throw new AppError('CSRF_FAILED', 'Missing or invalid CSRF token');
      const { issued, body } = await sessions.refresh(refresh, requestMeta(c));
      setSessionCookies(c, issued, lifetimes(c));
      c.header('Cache-Control', 'no-store');
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the session at once (revokes the refresh family, blocklists the access token)',
      responses: { 204: { description: 'Signed out (also when there was no session)' }, 403: err('CSRF_FAILED') },
    }),
    async (c) => {
      const { sessions, tokens, clock } = c.get('container');
      await limitAuth(c);
      const sessionCookie = getCookie(c, COOKIE.session);
      const refresh = getCookie(c, COOKIE.refresh);
      const claims = sessionCookie ? await tokens.verifyAccess(sessionCookie, clock.now().getTime()) : null;
      const sid = claims?.sid ?? sessions.sessionIdOfRefresh(refresh);
      if (sid) {
        if (!tokens.verifyCsrf(sid, c.req.header('x-csrf-token'), getCookie(c, COOKIE.csrf)))
          throw new AppError('CSRF_FAILED', 'Missing or invalid CSRF token');
        await sessions.logout(claims, refresh, requestMeta(c));
      }
      clearSessionCookies(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/switch',
      summary: 'Make another of your memberships the active one (new cookies)',
      middleware: [authenticate()],
      request: jsonBody(SwitchBody),
      responses: { 200: jsonResponse(SwitchResponse, 'Switched'), 401: err('UNAUTHENTICATED'), 404: err('NOT_FOUND') },
    }),
    async (c) => {
      const { sessions } = c.get('container');
      await limitAuth(c);
      const { membershipId } = c.req.valid('json');
      const { issued, membership } = await sessions.switchMembership(ctxOf(c), membershipId, requestMeta(c));
      setSessionCookies(c, issued, lifetimes(c));
      return c.json({ activeMembershipId: membership.id, csrfToken: issued.csrfToken, membership }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/context',
      summary: 'Who am I, where, and what may I do: roles, permissions, entitlements, menu',
      middleware: [authenticate()],
      responses: {
        200: jsonResponse(MeContext, 'The context'),
        401: err('UNAUTHENTICATED'),
      },
    }),
    async (c) => {
      const { memberContext, tokens, config } = c.get('container');
      const ctx = ctxOf(c);
      const body = await memberContext.context(ctx);
      // The page may have lost its CSRF cookie (or never could read it): hand out a valid one bound to this session.
      let csrfToken = getCookie(c, COOKIE.csrf);
      if (!csrfToken || !tokens.verifyCsrf(ctx.sessionId, csrfToken, csrfToken)) {
        csrfToken = tokens.csrfFor(ctx.sessionId);
        setCsrfCookie(c, csrfToken, config.sessionAbsoluteSeconds);
      }
      return c.json({ ...body, csrfToken }, 200);
    },
  );
}
