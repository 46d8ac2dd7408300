import type { MiddlewareHandler } from 'hono';
import { unauthenticated } from '../../core/errors.js';
import type { KioskContext } from '../../core/context.js';
import { logContext } from '../../core/logger.js';
import type { AppEnv } from '../env.js';
import { requestMeta } from './session.js';

/**
 * The kiosk credential (CONTRACT §5 "Kiosk"): `Authorization: Bearer <token>` on `/kiosk/*` only. No cookie is read,
 * so there is no CSRF check (a page on another origin cannot make a browser attach this header); and the session
 * middleware reads only cookies, so a kiosk token opens no other route.
 */
export function authenticateKiosk(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const m = /^Bearer\s+([\x21-\x7e]{1,300})$/i.exec(c.req.header('authorization') ?? '');
    if (!m) throw unauthenticated('A kiosk token is required (Authorization: Bearer …)');
    const kiosk = await c.get('container').kiosks.authenticate(m[1]!, requestMeta(c));
    c.set('kiosk', kiosk);
    const fields = logContext.getStore();
    if (fields) fields.tenantId = kiosk.tenantId;
    await next();
  };
}

export function kioskOf(c: { get(key: 'kiosk'): KioskContext | undefined }): KioskContext {
  const k = c.get('kiosk');
  if (!k) throw unauthenticated('A kiosk token is required');
  return k;
}
