import { ROOT_CONTEXT, TraceFlags, createContextKey, isSpanContextValid, type Context, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { scopeStorage } from './telemetry-context.js';

/**
 * OpenTelemetry's context kept in the request scope's AsyncLocalStorage (telemetry-context.ts), beside the log fields,
 * instead of an AsyncLocalStorage of its own: one store copy per promise instead of two. `bind` (functions and event
 * emitters) is the SDK's own, which calls `with` below. The parent's private AsyncLocalStorage is never run, so Node
 * never enables it.
 */
export class ScopeContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    return (scopeStorage.getStore()?.otel as Context | undefined) ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const cb = thisArg == null ? fn : fn.bind(thisArg);
    return scopeStorage.run({ fields: scopeStorage.getStore()?.fields, otel: ctx }, cb, ...args);
  }

  override disable(): this {
    return this;
  }
}

/**
 * The context of a request (or job, or event) that the sampler left out: no span, no ids. Spans asked for beneath it
 * are not started (telemetry-otel.ts checks `unsampled`), the query and command hooks find no recording span, and log
 * lines carry no trace id. One constant: an unsampled request allocates no context.
 */
const UNSAMPLED_KEY = createContextKey('daycare.telemetry.unsampled');
export const UNSAMPLED_CONTEXT = ROOT_CONTEXT.setValue(UNSAMPLED_KEY, true);
export const unsampled = (ctx: Context) => ctx.getValue(UNSAMPLED_KEY) === true;

const TRACE_PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A W3C `traceparent` header as a remote span context; undefined when it is not a valid one (then it is ignored). */
export function parseTraceParent(header: string): SpanContext | undefined {
  const m = TRACE_PARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const sc: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(sc) ? sc : undefined;
}

export const formatTraceParent = (sc: SpanContext) => `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;
