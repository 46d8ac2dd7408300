import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One AsyncLocalStorage for a request's log fields and, when telemetry is on, its OpenTelemetry context. Each enabled
 * AsyncLocalStorage costs every promise created anywhere a copy of its store (~160 per list request), so the
 * OpenTelemetry context manager (telemetry-otel-context.ts) keeps its context here rather than in one of its own.
 * `fields` is the request's own object: middleware adds to it (tenantId, userId) and the request's log line reads it.
 */
export interface Scope {
  fields?: Record<string, unknown>;
  /** The active OpenTelemetry context (typed loosely so that this module never loads @opentelemetry/api). */
  otel?: unknown;
}

export const scopeStorage = new AsyncLocalStorage<Scope>();

/** The request's log fields, as an AsyncLocalStorage of them (getStore, run) over the shared scope. */
export const logFieldsStorage = {
  getStore(): Record<string, unknown> | undefined {
    return scopeStorage.getStore()?.fields;
  },
  run<R>(fields: Record<string, unknown>, fn: () => R): R {
    return scopeStorage.run({ fields, otel: scopeStorage.getStore()?.otel }, fn);
  },
};
