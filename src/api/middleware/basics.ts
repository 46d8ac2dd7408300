import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { logContext } from '../../core/logger.js';
import { telemetry } from '../../core/telemetry.js';
import type { AppEnv } from '../env.js';
import { clientIp } from './session.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/; // `=`, `+`, `/`: API Gateway HTTP API ids are base64

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The headers every answer carries. They are set before the handler runs, into the context's prepared headers, so the
 * response the handler builds is written out as it is: a header set on a finished response makes Hono (and the Node
 * adapter) rebuild it as a full WHATWG Response with a body stream.
 */
const SECURITY_HEADERS: [string, string][] = [
  ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Resource-Policy', 'same-site'],
];

/** Request id (the client's when sane), JSON access log, security headers. */
export function requestBasics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : newId();
    c.set('requestId', requestId);
    const started = performance.now();
    const fields: Record<string, unknown> = { requestId };
    const log = c.get('container').logger;
    if (log.isLevelEnabled('debug')) log.debug({ ...fields, method: c.req.method, path: c.req.path, contentLength: c.req.header('content-length') }, 'request started');
    c.header('X-Request-Id', requestId);
    for (const [name, value] of SECURITY_HEADERS) c.header(name, value);
    // Credentials (a session cookie, a kiosk token) mean a personal answer: never stored by a cache.
    const personal = c.req.header('cookie') !== undefined || c.req.header('authorization') !== undefined;
    if (personal) c.header('Cache-Control', 'no-store');
    // CONTRACT §2: JSON says its charset (Hono's c.json says only `application/json`).
    const json = c.json;
    c.json = ((object: unknown, arg?: unknown, headers?: Record<string, string>) => json(object as never, arg as never, { 'Content-Type': JSON_TYPE, ...headers })) as typeof c.json;
    // One span per request, named by the route template, the child of the caller's W3C traceparent (telemetry.ts: a
    // direct call when telemetry is off); its trace and span ids go on every log line of the request.
    await logContext.run(fields, () =>
      telemetry.enabled
        ? telemetry.request(c.req.method, c.req.header('traceparent'), () => (Object.assign(fields, telemetry.logFields()), next()), () => ({ route: routeTemplate(c), status: c.res.status, requestId, tenantId: c.get('ctx')?.tenantId }))
        : next(),
    );
    const res = c.res;
    if (res.headers.get('x-request-id') === null) {
      // A response built outside the context (a replayed idempotent answer): the same headers, set afterwards.
      c.header('X-Request-Id', requestId);
      if (res.headers.get('content-type')?.toLowerCase() === 'application/json') c.header('Content-Type', JSON_TYPE);
      for (const [name, value] of SECURITY_HEADERS) if (name !== 'Content-Security-Policy' || !res.headers.has(name)) c.header(name, value);
      if (personal) c.header('Cache-Control', 'no-store');
    }
    if (!personal && c.get('ctx') && !c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
    if (log.isLevelEnabled('info')) {
      // One line per request: who (user, centre, address), what (route; the path without its query), how it ended
      // (status, the error code of a 4xx/5xx), how long. Never query parameters or bodies.
      const status = c.res.status;
      const ctx = c.get('ctx');
      const line: Record<string, unknown> = {
        ...fields,
        method: c.req.method,
        route: routeTemplate(c),
        path: c.req.path,
        status,
        ms: Math.round(performance.now() - started),
        userId: ctx?.userId ?? undefined,
        ip: clientIp(c) ?? undefined,
      };
      if (status >= 400) line.code = await errorCode(c.res);
      if (log.isLevelEnabled('debug')) Object.assign(line, { membershipId: ctx?.membershipId, roles: ctx?.roles, userAgent: c.req.header('user-agent'), responseBytes: c.res.headers.get('content-length') ?? undefined });
      log.info(line, 'request');
    }
  };
}

export interface CorsOptions {
  allowOrigin: (origin: string) => string | null;
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number;
}

/**
 * CORS with credentials (the same answers as hono/cors with a function origin), its headers set before the handler
 * runs (see SECURITY_HEADERS for why). A preflight (OPTIONS) is answered here with 204.
 */
export function corsHeaders(o: CorsOptions): MiddlewareHandler<AppEnv> {
  const methods = o.allowMethods.join(',');
  const allowHeaders = o.allowHeaders.join(',');
  const expose = o.exposeHeaders.join(',');
  return async (c, next) => {
    const origin = o.allowOrigin(c.req.header('origin') || '');
    if (origin) c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Credentials', 'true');
    c.header('Access-Control-Expose-Headers', expose);
    c.header('Vary', 'Origin', { append: true });
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Max-Age', String(o.maxAge));
      c.header('Access-Control-Allow-Methods', methods);
      c.header('Access-Control-Allow-Headers', allowHeaders);
      c.header('Vary', 'Access-Control-Request-Headers', { append: true });
      return c.body(null, 204);
    }
    await next();
  };
}

/** The matched route's template (`/students/:id`); `unmatched` when only middleware ran (a 404 for an unknown path). */
function routeTemplate(c: Context<AppEnv>): string {
  const path = routePath(c, -1);
  return path && path !== '*' && path !== '/*' ? path : 'unmatched';
}

/** The contract's error code of an error answer (read from a copy of the body: errors only, and they are small). */
async function errorCode(res: Response): Promise<string | undefined> {
  if (!res.headers.get('content-type')?.includes('json')) return undefined;
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown } };
    return typeof body?.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** Unsafe methods with a body must send JSON (415 otherwise); signed local upload URLs are exempt. */
export function requireJson(exemptPrefixes: string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const m = c.req.method;
    if ((m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE') && !exemptPrefixes.some((p) => c.req.path.startsWith(p))) {
      const len = c.req.header('content-length');
      const hasBody = (len !== undefined && len !== '0') || c.req.header('transfer-encoding') !== undefined;
      const type = c.req.header('content-type');
      if (hasBody && !(type && /^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type))) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
      }
    }
    await next();
  };
}
