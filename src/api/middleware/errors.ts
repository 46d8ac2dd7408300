import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { AppError, errorBody, fromDatabaseError, type ErrorDetail } from '../../core/errors.js';
import type { AppEnv } from '../env.js';

export function zodDetails(err: ZodError): ErrorDetail[] {
  return err.issues.slice(0, 50).map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
}

/** The one place errors become the contract's JSON. Unknown errors are logged and answered with a generic 500. */
export function handleError(err: unknown, c: Context<AppEnv>) {
  const requestId = c.get('requestId') ?? 'unknown';
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return c.json(errorBody(err.code, err.message, requestId, err.details), err.status as 400);
  }
  if (err instanceof ZodError) {
    return c.json(errorBody('VALIDATION_ERROR', 'The request is not valid', requestId, zodDetails(err)), 400);
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return c.json(errorBody('PAYLOAD_TOO_LARGE', 'The request body is too large', requestId), 413);
    if (err.status === 400) return c.json(errorBody('VALIDATION_ERROR', err.message || 'Malformed request', requestId), 400);
    if (err.status === 401) return c.json(errorBody('UNAUTHENTICATED', 'Sign in to continue', requestId), 401);
  }
  if (err instanceof SyntaxError) {
    return c.json(errorBody('VALIDATION_ERROR', 'The request body is not valid JSON', requestId), 400);
  }
  const log = c.get('container')?.logger;
  const mapped = fromDatabaseError(err);
  if (mapped) {
    log?.warn({ err, requestId }, 'database rejected a request value');
    for (const [k, v] of Object.entries(mapped.headers ?? {})) c.header(k, v);
    return c.json(errorBody(mapped.code, mapped.message, requestId), mapped.status as 400);
  }
  log?.error({ err, requestId }, 'unhandled error');
  return c.json(errorBody('INTERNAL', 'Something went wrong on our side', requestId), 500);
}
