import type { MiddlewareHandler } from 'hono';
import { AppError, unauthenticated } from '../../core/errors.js';
import { parseEnrolmentToken } from '../../core/security/enrolment-tokens.js';
import { logContext } from '../../core/logger.js';
import type { PublicFormContext } from '../../modules/enrolment/index.js';
import type { AppEnv } from '../env.js';
import { requestMeta } from './session.js';

/** The public routes' body cap: an application is a few hundred bytes; nobody needs the API's 1 MB here. */
export const PUBLIC_BODY_LIMIT = 16 * 1024;

/**
 * `/public/*` (CONTRACT §5 "Enrolment"): no session — like `/kiosk/*`, these routes take their own credential and the
 * session middleware never runs on them (cookies open nothing here, so there is no CSRF). `form`: the application
 * form's token as `Authorization: Bearer`, checked against its stored hash before anything else (401 otherwise).
 * `offer`: the offer token travels in the body; its centre and application (not its secret) key the idempotency
 * record, and the service checks the secret (404 for an unknown or used token).
 */
export function authenticatePublic(kind: 'form' | 'offer'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (Number(c.req.header('content-length') ?? 0) > PUBLIC_BODY_LIMIT) throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${PUBLIC_BODY_LIMIT} bytes`);
    if (kind === 'form') {
      const m = /^Bearer\s+([\x21-\x7e]{1,300})$/i.exec(c.req.header('authorization') ?? '');
      if (!m) throw unauthenticated('An application form token is required (Authorization: Bearer …)');
      const form = await c.get('container').publicEnrolment.authenticateForm(m[1]!, requestMeta(c));
      c.set('publicForm', form);
      c.set('publicCaller', { tenantId: form.tenantId, subjectId: form.formId });
    } else {
      const text = await c.req.text();
      if (text.length > PUBLIC_BODY_LIMIT) throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${PUBLIC_BODY_LIMIT} bytes`);
      let token: unknown;
      try {
        token = (JSON.parse(text) as { token?: unknown } | null)?.token;
      } catch {
        /* the validator answers 400 */
      }
      const parsed = typeof token === 'string' ? parseEnrolmentToken('offer', token) : null;
      if (parsed) c.set('publicCaller', { tenantId: parsed.tenantId, subjectId: parsed.id });
    }
    const fields = logContext.getStore();
    const caller = c.get('publicCaller');
    if (fields && caller) fields.tenantId = caller.tenantId;
    await next();
  };
}

export function publicFormOf(c: { get(key: 'publicForm'): PublicFormContext | undefined }): PublicFormContext {
  const f = c.get('publicForm');
  if (!f) throw unauthenticated('An application form token is required');
  return f;
}
