import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { telemetry } from './telemetry.js';
import { logFieldsStorage } from './telemetry-context.js';

/** Per-request log fields (requestId, tenantId), in the AsyncLocalStorage the OpenTelemetry context shares (telemetry-context.ts). */
export const logContext = logFieldsStorage;

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

/**
 * Credentials wherever they sit: top level, one or two levels down (`{ req: { headers: { cookie } } }`), and header
 * maps. pino's wildcards match one level each, so each depth is listed.
 */
const SECRET_KEYS = ['accessToken', 'refreshToken', 'authorization', 'Authorization', 'cookie', 'Cookie', '["set-cookie"]', '["Set-Cookie"]', 'password', 'token'];
const at = (prefix: string, k: string) => (k.startsWith('[') ? `${prefix.replace(/\.$/, '')}${k}` : `${prefix}${k}`);
const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [at('', k), at('*.', k), at('*.*.', k), at('*.*.*.', k)]),
  // Issue 11's rule: never query parameters or bodies, at any of these depths.
  ...['query', 'params', 'body'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function createLogger(level: string, destination?: pino.DestinationStream, opts: { pretty?: boolean } = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // The request's fields; outside a request (a job, an outbox drain) the active span's trace_id and span_id.
    mixin: () => logContext.getStore() ?? telemetry.logFields() ?? {},
    serializers: { err: serializeError, error: serializeError },
    // Never log credentials, query parameters or request bodies, even by accident.
    redact: {
      paths: REDACT_PATHS,
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  if (opts.pretty && prettyAvailable()) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
  }
  return pino(options);
}

/** pino-pretty is a dev dependency: absent from a production install, where logs stay JSON. */
function prettyAvailable() {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
export type { Logger };
