import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { logContext } from '../../core/logger.js';
import type { AppEnv } from '../env.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/; // `=`, `+`, `/`: API Gateway HTTP API ids are base64

/** Request id (the client's when sane), JSON access log, security headers. */
export function requestBasics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : newId();
    c.set('requestId', requestId);
    const started = performance.now();
    const fields: Record<string, unknown> = { requestId };
    await logContext.run(fields, async () => {
      await next();
    });
    c.header('X-Request-Id', requestId);
    // CONTRACT §2: JSON says its charset (Hono's c.json and replayed responses say only `application/json`).
    if (c.res.headers.get('content-type')?.toLowerCase() === 'application/json') c.header('Content-Type', 'application/json; charset=utf-8');
    c.header('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    if (!c.res.headers.has('Content-Security-Policy'))
      c.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Resource-Policy', 'same-site');
    if (c.get('ctx') || c.req.header('cookie')) c.header('Cache-Control', 'no-store');
    const log = c.get('container').logger;
    if (log.isLevelEnabled('info'))
      log.info(
        { ...fields, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
        'request',
      );
  };
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
