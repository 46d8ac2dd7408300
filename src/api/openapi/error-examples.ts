import { ERROR_STATUS, type ErrorCode } from '../../core/errors.js';

// The examples of the error answers in the OpenAPI document (src/api/openapi/document.ts finishes each operation).

/** The code an error answer of a status shows by default (CONTRACT §2), when its description names none. */
const DEFAULT_CODE: Record<string, ErrorCode> = {
  '400': 'VALIDATION_ERROR',
  '401': 'UNAUTHENTICATED',
  '403': 'FORBIDDEN',
  '404': 'NOT_FOUND',
  '409': 'CONFLICT',
  '412': 'PRECONDITION_FAILED',
  '413': 'PAYLOAD_TOO_LARGE',
  '415': 'UNSUPPORTED_MEDIA_TYPE',
  '422': 'UNPROCESSABLE',
  '429': 'RATE_LIMITED',
  '500': 'INTERNAL',
  '503': 'NOT_READY',
};
const EXAMPLE_MESSAGE: Partial<Record<ErrorCode, string>> = {
  VALIDATION_ERROR: 'The request is not valid',
  UNAUTHENTICATED: 'Sign in to continue',
  INVALID_TOKEN: 'The access token is not valid',
  CSRF_FAILED: 'Missing or invalid CSRF token (send X-CSRF-Token equal to the __Host-csrf cookie)',
  FORBIDDEN: 'You do not have permission to do this',
  NOT_FOUND: 'Not found',
  CONFLICT: 'The request conflicts with the current state',
  PRECONDITION_FAILED: 'The resource has changed since you read it (If-Match does not match)',
  RATE_LIMITED: 'Too many requests; slow down',
  NOT_READY: 'The service is not ready; try again shortly',
};

/**
 * The examples of an error answer: one per code its description names with this status (`FORBIDDEN or CSRF_FAILED`),
 * else the status's own code.
 */
export function errorExamples(status: string, description: string | undefined): Record<string, { value: unknown }> {
  const named = [...new Set((description ?? '').match(/\b[A-Z][A-Z_]{2,}\b/g) ?? [])].filter(
    (c): c is ErrorCode => c in ERROR_STATUS && String(ERROR_STATUS[c as ErrorCode]) === status,
  );
  const codes = named.length ? named : DEFAULT_CODE[status] ? [DEFAULT_CODE[status]] : [];
  return Object.fromEntries(
    codes.map((code) => [code, { value: { error: { code, message: EXAMPLE_MESSAGE[code] ?? code.toLowerCase().replace(/_/g, ' '), requestId: '0196f1a4-8a5e-7c3b-9f1d-2b6c1e0a9d41' } } }]),
  );
}
