/** The closed set of error codes of CONTRACT §2, each with its HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  CSRF_FAILED: 403,
  FORBIDDEN: 403,
  INVALID_PIN: 401,
  INVALID_SIGNATURE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path?: string;
  field?: string;
  message: string;
  [k: string]: unknown;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You do not have permission to do this') => new AppError('FORBIDDEN', message);
export const conflict = (message: string, details?: ErrorDetail[]) => new AppError('CONFLICT', message, details);
export const unprocessable = (message: string, details?: ErrorDetail[]) => new AppError('UNPROCESSABLE', message, details);
export const validationError = (message: string, details?: ErrorDetail[]) => new AppError('VALIDATION_ERROR', message, details);
export const unauthenticated = (message = 'Sign in to continue') => new AppError('UNAUTHENTICATED', message);
export const invalidToken = (message = 'The access token is not valid') => new AppError('INVALID_TOKEN', message);
/** A 429 with `Retry-After` in seconds (the kiosk lockout; counted limits use core/rate-limits.ts). */
export const rateLimitedFor = (message: string, retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', message, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
export const preconditionFailed = () =>
  new AppError('PRECONDITION_FAILED', 'The resource has changed since you read it (If-Match does not match)');

/** 503 NOT_READY with Retry-After: a condition that passes by itself (the database back, a lock released, space freed). */
export const notReady = (message: string, retryAfterSeconds = 1) =>
  new AppError('NOT_READY', message, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** The data directory of the embedded mode cannot be used at start: the message names the directory and the cause. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** The readiness probe's answer when the embedded database's disk is (nearly) full. */
export class DiskFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskFullError';
  }
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: ErrorDetail[]) {
  return { error: { code, message, requestId, ...(details && details.length ? { details } : {}) } };
}

/** The SQLSTATE of a database error (drivers and Drizzle wrap it in `cause`). */
export function sqlState(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause;
  }
  return undefined;
}

/** Errors (PostgreSQL's, or the cache's CacheUnavailableError) that mean "the database is not there right now" (not "the request is wrong"). */
export function isUnavailableError(err: unknown): boolean {
  let e: any = err;
  for (let i = 0; i < 4 && e; i++) {
    if (e.name === 'CacheUnavailableError') return true;
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^(08...|57P0[1-3]|53300|53400)$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
    const msg = typeof e.message === 'string' ? e.message : '';
    if (
      /Query read timeout|Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|not queryable|Client was closed|database ping timed out|is closed/i.test(
        msg,
      )
    )
      return true;
    e = e.cause;
  }
  return false;
}

/**
 * Safety net for client input that reached the database unvalidated: never a 500 for it (services validate first;
 * this only keeps a missed case from becoming an internal error). An unavailable database is a 503, not a 500.
 */
export function fromDatabaseError(err: unknown): AppError | undefined {
  if (isUnavailableError(err)) return notReady('The service is temporarily unavailable; try again shortly');
  switch (sqlState(err)) {
    // One centre's stuck work must not become anyone's 500 (issue 20, point 8): a row locked past lock_timeout, a
    // statement past statement_timeout (or cancelled) is "try again shortly", not a conflict with the request itself.
    case '55P03': // lock_not_available
      return notReady('The record is being changed by another request; try again shortly', 2);
    case '57014': // query_canceled (statement_timeout, a cancel)
      return notReady('The database took too long to answer; try again shortly', 5);
    case '53100': // disk_full
      return notReady("The server's storage is full; try again later", 30);
    case '22021': // character_not_in_repertoire (a NUL byte in text)
    case '22P05': // untranslatable_character (\u0000 in jsonb)
    case '54000': // program_limit_exceeded (a value too large for an index)
    case '22P02': // invalid_text_representation (e.g. a malformed uuid)
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22001': // string_data_right_truncation
    case '22003': // numeric_value_out_of_range
      return new AppError('VALIDATION_ERROR', 'A value in the request is not valid');
    case '23505':
      return new AppError('CONFLICT', 'This conflicts with an existing record');
    case '23503':
      return new AppError('UNPROCESSABLE', 'The request refers to a record that does not exist');
    case '40001':
    case '40P01':
      return new AppError('CONFLICT', 'A concurrent change got in the way; try again');
    default:
      return undefined;
  }
}
