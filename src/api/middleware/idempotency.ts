import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, errorBody } from '../../core/errors.js';
import type { IdemScope, StoredResponse } from '../../kernel/idempotency.service.js';
import type { AppEnv } from '../env.js';
import { UNSAFE } from './session.js';

const REPLAYED_HEADERS = ['etag', 'location', 'content-type'];

/**
 * Idempotency-Key (CONTRACT §2): reads the key and the body and hands the request to the idempotency service, which
 * owns the state machine. Runs after authentication and the route's permission check, so a replay is authorized afresh.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || !UNSAFE.has(c.req.method)) return next();
    if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
      throw new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1–255 visible ASCII characters');
    // A member's key is theirs in their centre; a kiosk's is the kiosk's (its id stands where a user's would).
    const ctx = c.get('ctx');
    const kiosk = c.get('kiosk');
    // On /public/*: the form (or the application an offer token names) stands where a user would.
    const caller = c.get('publicCaller');
    const who = ctx ? { tenantId: ctx.tenantId, userId: ctx.userId } : kiosk ? { tenantId: kiosk.tenantId, userId: kiosk.kioskId } : caller ? { tenantId: caller.tenantId, userId: caller.subjectId } : null;
    // A public request whose credential names nothing (a malformed offer token): nothing to key; the route answers it.
    if (!who) return next();
    const body = await c.req.text();
    const scope: IdemScope = { ...who, method: c.req.method, path: c.req.path, key };
    const fingerprint = createHash('sha256').update(`${scope.method} ${scope.path}\n${body}`).digest('base64url');

    const outcome = await c.get('container').idempotency.run(
      scope,
      fingerprint,
      async () => {
        await next();
        // Errors thrown inside handlers were already rendered by Hono's error handler into c.res.
        return c.res;
      },
      async (res) => {
        const stored = await toStored(res, c.get('requestId'));
        // A credential shown once (a PIN, a kiosk token) is kept sealed, never in clear (see ResponseSealer).
        if (stored && c.get('sealResponse')) stored.body = { [SEALED]: c.get('container').sealer.seal(stored.body) };
        return stored;
      },
    );
    if ('replay' in outcome) c.res = replay(c, unseal(outcome.replay, c.get('container').sealer));
  };
}

/** What is stored for a response; null for a 5xx, which is not stored (its work is rolled back, a retry runs again). */
async function toStored(res: Response, requestId: string): Promise<StoredResponse | null> {
  if (res.status >= 500) return null;
  const text = res.status === 204 ? '' : await res.clone().text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = errorBody('INTERNAL', 'unreplayable response', requestId);
  }
  const headers: Record<string, string> = {};
  for (const h of REPLAYED_HEADERS) {
    const v = res.headers.get(h);
    if (v) headers[h] = v;
  }
  return { status: res.status, body, headers };
}

const SEALED = '__sealed';
function unseal(stored: StoredResponse, sealer: { open(s: string): unknown }): StoredResponse {
  const body = stored.body as Record<string, unknown> | null;
  return body && typeof body === 'object' && typeof body[SEALED] === 'string' ? { ...stored, body: sealer.open(body[SEALED]) } : stored;
}

/** The stored answer, built through the context so that it carries this request's own headers (request id, CORS). */
function replay(c: Context<AppEnv>, stored: StoredResponse): Response {
  const headers: Record<string, string> = { ...stored.headers, 'Idempotent-Replayed': 'true' };
  // Answers stored before the charset was added said only `application/json`.
  if (headers['content-type']?.toLowerCase() === 'application/json') headers['content-type'] = 'application/json; charset=utf-8';
  return c.body((stored.status === 204 ? null : JSON.stringify(stored.body)) as string, stored.status as ContentfulStatusCode, headers);
}
