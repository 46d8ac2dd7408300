import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AppError, errorBody } from '../../core/errors.js';
import type { IdemScope } from '../../services/idempotency.service.js';
import { keys } from '../../services/cache-keys.js';
import type { AppEnv } from '../env.js';
import { UNSAFE } from './session.js';

/** An unfinished claim older than this is treated as abandoned (its process died) and may be taken over. */
const ABANDONED_SECONDS = 120;
const REPLAYED_HEADERS = ['etag', 'location', 'content-type'];

/**
 * Idempotency-Key (CONTRACT §2). Runs after authentication and the route's permission check, so a replay is
 * authorized afresh. A cache lock stops concurrent duplicates early; the database's unique key is the guarantee.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || !UNSAFE.has(c.req.method)) return next();
    if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
      throw new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1–255 visible ASCII characters');
    const ctx = c.get('ctx')!;
    const { idempotency: store, cache, clock } = c.get('container');
    const body = await c.req.text();
    const scope: IdemScope = { tenantId: ctx.tenantId, userId: ctx.userId, method: c.req.method, path: c.req.path, key };
    const fingerprint = createHash('sha256').update(`${scope.method} ${scope.path}\n${body}`).digest('base64url');
    const lockKey = keys.idemLock(scope.tenantId, scope.userId, scope.method, scope.path, key);

    const existingResponse = async () => {
      const row = await store.find(scope);
      if (!row) return null;
      if (row.fingerprint !== fingerprint)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
      if (!row.completed) {
        if (clock.now().getTime() - row.createdAt.getTime() > ABANDONED_SECONDS * 1000) {
          await store.release(scope, row.id);
          return 'retry' as const;
        }
        throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
      }
      const headers = new Headers((row.responseHeaders as Record<string, string>) ?? {});
      headers.set('Idempotent-Replayed', 'true');
      const status = row.responseStatus ?? 200;
      return new Response(status === 204 ? null : JSON.stringify(row.responseBody), { status, headers });
    };

    const locked = await cache.setIfAbsent(lockKey, '1', 60);
    if (!locked) {
      const r = await existingResponse();
      if (r instanceof Response) {
        c.res = r;
        return;
      }
      throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
    }
    try {
      let claim = await store.claim(scope, fingerprint);
      if (!claim) {
        const r = await existingResponse();
        if (r instanceof Response) {
          c.res = r;
          return;
        }
        claim = await store.claim(scope, fingerprint);
        if (!claim) throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
      }
      const claimId = claim.id;
      try {
        await next();
      } catch (err) {
        await store.release(scope, claimId).catch(() => undefined);
        throw err;
      }
      // Errors thrown inside handlers were already rendered by Hono's error handler into c.res.
      const res = c.res;
      if (res.status >= 500) {
        await store.release(scope, claimId);
        return;
      }
      const text = res.status === 204 ? '' : await res.clone().text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = errorBody('INTERNAL', 'unreplayable response', c.get('requestId'));
      }
      const headers: Record<string, string> = {};
      for (const h of REPLAYED_HEADERS) {
        const v = res.headers.get(h);
        if (v) headers[h] = v;
      }
      await store.complete(scope, claimId, res.status, parsed, headers);
    } finally {
      await cache.del(lockKey).catch(() => undefined);
    }
  };
}
