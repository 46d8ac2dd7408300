import { context, metrics, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Context, type Link, type Span, type SpanOptions } from '@opentelemetry/api';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import pkg from '../../package.json' with { type: 'json' };
import { patchPg, patchRedis, recording } from './telemetry-otel-clients.js';
import { formatTraceParent, parseTraceParent, ScopeContextManager, UNSAMPLED_CONTEXT, unsampled } from './telemetry-otel-context.js';
import { createInstruments, poolMetrics, queueMetrics, runtimeMetrics } from './telemetry-otel-metrics.js';
import type { Attributes, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

export { DURATION_BUCKETS_SECONDS } from './telemetry-otel-metrics.js';
export { formatTraceParent, parseTraceParent } from './telemetry-otel-context.js';

/** The share of traces recorded when OTEL_TRACES_SAMPLER is not set (root spans; a sampled caller is always followed). */
export const DEFAULT_TRACE_RATIO = 0.1;

/**
 * The OpenTelemetry SDK behind src/core/telemetry.ts, loaded only when telemetry is on: the providers, the request's
 * span and metrics, job and event spans. Beside it: the pg and ioredis hooks (telemetry-otel-clients.ts), the
 * instruments and runtime gauges (telemetry-otel-metrics.ts), the context manager and traceparent
 * (telemetry-otel-context.ts).
 */
export async function createOtelTelemetry(opts: TelemetryOptions): Promise<TelemetryImpl> {
  // Ours first; OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME) override them, as the specification says.
  const resource = resourceFromAttributes({
    'service.name': opts.serviceName,
    'service.version': opts.serviceVersion ?? pkg.version,
    'deployment.environment.name': opts.environment ?? process.env.NODE_ENV ?? 'development',
  }).merge(detectResources({ detectors: [envDetector] }));
  let spanExporter: SpanExporter | undefined;
  let metricExporter: PushMetricExporter;
  if (opts.exporters) {
    spanExporter = opts.exporters.spans as SpanExporter;
    metricExporter = opts.exporters.metrics as PushMetricExporter;
  } else {
    // The OTLP exporters read OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS) and add /v1/traces, /v1/metrics.
    if (opts.tracesExporter !== 'none') spanExporter = new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    metricExporter =
      opts.metricsExporter === 'awsemf'
        ? new (await import('./telemetry-emf.js')).EmfMetricExporter(opts.serviceName)
        : new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  }
  context.setGlobalContextManager(new ScopeContextManager().enable());
  // One trace in ten by default (parent-based: a caller's sampled traceparent is always followed), since recording and
  // exporting every request's spans cost ~25% of the list's server CPU (docs/performance.md); metrics still count every
  // request. The root's draw is ours (sampleRoot below), so the SDK's sampler records every root it is asked for.
  // OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG hand every decision to the SDK's sampler (it reads them).
  const ratio = opts.traceRatio ?? DEFAULT_TRACE_RATIO;
  const ownSampling = !process.env.OTEL_TRACES_SAMPLER;
  const tracerProvider = new BasicTracerProvider({
    ...(ownSampling ? { sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) } : {}),
    resource,
    spanProcessors: spanExporter ? [opts.exporters ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter)] : [],
  });
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: opts.exporters?.metricIntervalMs ?? 60_000 });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const tracer = tracerProvider.getTracer('daycare-api');
  const meter = meterProvider.getMeter('daycare-api');
  metrics.setGlobalMeterProvider(meterProvider);

  const instruments = createInstruments(meter);
  const { depthReaders, ageReaders } = queueMetrics(meter);
  const stopRuntime = runtimeMetrics(meter);
  const pools = poolMetrics(meter);

  // Root spans (a request, a job delivery, an outbox event) are sampled here, before anything is built for them, when
  // the default sampler is in use: an unsampled root runs in one constant context, with no span, ids or context
  // allocated. Under OTEL_TRACES_SAMPLER the SDK's sampler decides every span, as it always did.
  const sampleRoot = (parent: Context): boolean => ownSampling === false || trace.getSpan(parent) !== undefined || Math.random() < ratio;

  /** Runs `run` under `span` (ended afterwards); counts it among the open recording spans that the client hooks look for. */
  async function inSpan<T>(span: Span, parent: Context, run: () => Promise<T>): Promise<T> {
    const counted = span.isRecording();
    if (counted) recording.open++;
    try {
      return await context.with(trace.setSpan(parent, span), run);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
      if (counted) recording.open--;
    }
  }

  /** A span that is not a request's: not started at all beneath an unsampled request, or when its root is not sampled. */
  function internal<T>(name: string, options: SpanOptions, run: () => Promise<T>, onSpan?: (span: Span) => void): Promise<T> {
    const parent = context.active();
    if (unsampled(parent) || !sampleRoot(parent)) return unsampled(parent) ? run() : context.with(UNSAMPLED_CONTEXT, run);
    const span = tracer.startSpan(name, options, parent);
    onSpan?.(span);
    return inSpan(span, parent, run);
  }

  const unpatch = [patchPg(tracer), await patchRedis(tracer)];

  return {
    async request(method, traceParent, run, outcome) {
      const started = performance.now();
      // The caller's trace (a W3C traceparent from a frontend or a proxy): this request's span is its child.
      const remote = traceParent ? parseTraceParent(traceParent) : undefined;
      const active = context.active();
      if (!remote && (unsampled(active) || !sampleRoot(active))) {
        // Not sampled (nine in ten): no span, no ids, no context built; only the metrics.
        try {
          return await context.with(UNSAMPLED_CONTEXT, run);
        } finally {
          const o = outcome();
          instruments.recordRequest(routeOf(o.route), method, o.status, (performance.now() - started) / 1000);
        }
      }
      const parent = remote ? trace.setSpanContext(active, remote) : active;
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
      const counted = span.isRecording();
      if (counted) recording.open++;
      try {
        return await context.with(trace.setSpan(parent, span), run);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
        throw err;
      } finally {
        const o = outcome();
        const route = routeOf(o.route);
        if (counted) {
          span.updateName(`${method} ${route}`);
          span.setAttributes({ 'http.route': route, 'http.response.status_code': o.status, ...(o.requestId ? { 'request.id': o.requestId } : {}), ...(o.tenantId ? { 'tenant.id': o.tenantId } : {}) });
          if (o.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          recording.open--;
        }
        span.end();
        instruments.recordRequest(route, method, o.status, (performance.now() - started) / 1000);
      }
    },
    span(name: string, attributes: Attributes, run) {
      return internal(name, { attributes }, run);
    },
    linked(name, attributes, traceParent, run) {
      const remote = traceParent ? parseTraceParent(traceParent) : undefined;
      return internal(name, { attributes, kind: SpanKind.CONSUMER, links: remote ? [{ context: remote }] : [] }, run);
    },
    job(attributes, run) {
      let span: Span | undefined;
      return internal('job', { attributes, kind: SpanKind.CONSUMER }, () => run(describe), (s) => (span = s));
      function describe(type: string, traceParent: string | null | undefined) {
        if (!span) return;
        span.updateName(type);
        span.setAttribute('job.type', type);
        const remote = traceParent ? parseTraceParent(traceParent) : undefined;
        if (remote) span.addLink({ context: remote } satisfies Link);
      }
    },
    recordJob(type, outcome, ms) {
      instruments.recordJob(type, outcome, ms);
    },
    observeQueueDepth(read) {
      depthReaders.push(read);
    },
    observeQueueAge(read) {
      ageReaders.push(read);
    },
    observePool(name, read) {
      pools.push({ name, read });
    },
    traceParent() {
      const sc = trace.getSpan(context.active())?.spanContext();
      return sc && isSpanContextValid(sc) ? formatTraceParent(sc) : undefined;
    },
    logFields() {
      const sc = trace.getSpan(context.active())?.spanContext();
      return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
    },
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      for (const u of unpatch) u();
      stopRuntime();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
      context.disable();
      metrics.disable();
    },
  };
}

/** The route template; `unmatched` when only middleware ran (one series for every unknown path, not one per path). */
const routeOf = (route: string) => (route && route !== '*' && route !== '/*' ? route : 'unmatched');
