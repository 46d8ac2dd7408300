import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

/** Per-request log fields (requestId, tenantId). AsyncLocalStorage is used for logging only. */
export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => logContext.getStore() ?? {},
    // Never log credentials, even by accident.
    redact: {
      paths: ['*.accessToken', '*.refreshToken', '*.authorization', '*.cookie', 'headers.cookie', 'headers.authorization', '*.password'],
      censor: '[redacted]',
    },
  });
}
export type { Logger };
