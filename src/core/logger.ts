import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

/** Per-request log fields (requestId, tenantId). AsyncLocalStorage is used for logging only. */
export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Errors as logs may show them: type, SQLSTATE, constraint, and the stack of our own code. Never a query, its
 * parameters, a request body or a database message (Drizzle's "Failed query: … params: …" and PostgreSQL's
 * `invalid input syntax …: "<value>"` both quote children's data).
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const out: Record<string, unknown> = { type: err.name };
  let e: any = err;
  let fromDatabase = false;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string' && !out.code) out.code = e.code;
    if (typeof e.constraint === 'string' && !out.constraint) out.constraint = e.constraint;
    if ('query' in e || 'params' in e || typeof e.severity === 'string' || /^Failed query/.test(String(e.message))) fromDatabase = true;
    e = e.cause;
  }
  if (!fromDatabase) {
    out.message = err.message;
    out.stack = err.stack;
  } else {
    // Only the frames of the stack: its first lines repeat the message.
    out.stack = err.stack
      ?.split('\n')
      .filter((l) => /^\s+at /.test(l))
      .join('\n');
  }
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => logContext.getStore() ?? {},
    serializers: { err: serializeError, error: serializeError },
    // Never log credentials, query parameters or request bodies, even by accident.
    redact: {
      paths: [
        '*.accessToken',
        '*.refreshToken',
        '*.authorization',
        '*.cookie',
        'headers.cookie',
        'headers.authorization',
        '*.password',
        'query',
        'params',
        'body',
        '*.query',
        '*.params',
        '*.body',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type { Logger };
