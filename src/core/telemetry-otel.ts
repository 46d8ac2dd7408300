import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { context, metrics, SpanKind, SpanStatusCode, trace, TraceFlags, isSpanContextValid, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import pkg from '../../package.json' with { type: 'json' };
import type { Attributes, PoolStats, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

/**
 * Every duration histogram's bucket boundaries, in seconds (the SDK's default boundaries are milliseconds: a latency in
 * seconds would land in its first bucket, and p95/p99 would mean nothing). OpenTelemetry's own advice for
 * `http.server.request.duration`.
 */
/** The share of traces recorded when OTEL_TRACES_SAMPLER is not set (root spans; a sampled caller is always followed). */
export const DEFAULT_TRACE_RATIO = 0.1;

export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * The OpenTelemetry SDK behind src/core/telemetry.ts, loaded only when telemetry is on. Database spans wrap pg's
 * Client#query and Redis spans ioredis's sendCommand (patched here, so db.ts and the cache adapter stay untouched);
 * their names carry the operation only (`db SELECT`, `redis GET`), never the statement, its parameters or a key.
 * Why not @opentelemetry/instrumentation-pg / -ioredis: they patch modules as Node loads them, which a bundle (the
 * Lambda functions, dist/server) never does, and instrumentation-pg records the statement's text (`db.query.text`).
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
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // One trace in ten by default (parent-based: a caller's sampled traceparent is always followed), since recording and
  // exporting every request's spans cost ~25% of the list's server CPU and one in ten ~3.5% (docs/performance.md);
  // metrics still count every request. OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG choose otherwise (the SDK reads them).
  const ratio = opts.traceRatio ?? DEFAULT_TRACE_RATIO;
  const tracerProvider = new BasicTracerProvider({
    ...(process.env.OTEL_TRACES_SAMPLER ? {} : { sampler: new ParentBasedSampler({ root: ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio) }) }),
    resource,
    spanProcessors: spanExporter ? [opts.exporters ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter)] : [],
  });
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: opts.exporters?.metricIntervalMs ?? 60_000 });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const tracer = tracerProvider.getTracer('daycare-api');
  const meter = meterProvider.getMeter('daycare-api');
  metrics.setGlobalMeterProvider(meterProvider);

  const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS } };
  const requestDuration = meter.createHistogram('http.server.request.duration', { ...seconds, description: 'Request latency by route and status' });
  const requests = meter.createCounter('http.server.requests', { description: 'Requests by route and status' });
  const jobRuns = meter.createCounter('daycare.job.runs', { description: 'Job deliveries by type and outcome' });
  const jobDuration = meter.createHistogram('daycare.job.duration', { ...seconds, description: 'Job delivery duration by type and outcome' });
  const depthReaders: (() => Promise<number> | number)[] = [];
  meter.createObservableGauge('daycare.queue.depth', { description: 'Jobs waiting in the queue' }).addCallback(async (result) => {
    for (const read of depthReaders) {
      try {
        result.observe(await read());
      } catch {
        /* a failed read skips one sample */
      }
    }
  });
  const ageReaders: (() => Promise<number | null> | number | null)[] = [];
  meter.createObservableGauge('daycare.queue.oldest_age', { unit: 's', description: 'How long the oldest waiting job has waited (0: none)' }).addCallback(async (result) => {
    for (const read of ageReaders) {
      try {
        result.observe((await read()) ?? 0);
      } catch {
        /* a failed read skips one sample */
      }
    }
  });
  const stopRuntime = runtimeMetrics(meter);
  const pools = poolMetrics(meter);

  async function inSpan<T>(span: Span, run: () => Promise<T>): Promise<T> {
    try {
      return await context.with(trace.setSpan(context.active(), span), run);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  }

  const unpatch = [patchPg(tracer), await patchRedis(tracer)];

  return {
    async request(method, traceParent, run, outcome) {
      const started = performance.now();
      // The caller's trace (a W3C traceparent from a frontend or a proxy): this request's span is its child.
      const remote = traceParent ? parseTraceParent(traceParent) : undefined;
      const parent = remote ? trace.setSpanContext(context.active(), remote) : context.active();
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
      try {
        return await context.with(trace.setSpan(parent, span), run);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
        throw err;
      } finally {
        const o = outcome();
        const route = o.route && o.route !== '*' && o.route !== '/*' ? o.route : 'unmatched';
        if (span.isRecording()) {
          span.updateName(`${method} ${route}`);
          span.setAttributes({ 'http.route': route, 'http.response.status_code': o.status, ...(o.requestId ? { 'request.id': o.requestId } : {}), ...(o.tenantId ? { 'tenant.id': o.tenantId } : {}) });
          if (o.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
        const attrs = { 'http.route': route, 'http.request.method': method, 'http.response.status_code': o.status };
        requestDuration.record((performance.now() - started) / 1000, attrs);
        requests.add(1, attrs);
      }
    },
    span(name: string, attributes: Attributes, run) {
      return inSpan(tracer.startSpan(name, { attributes }), run);
    },
    linked(name, attributes, traceParent, run) {
      const remote = traceParent ? parseTraceParent(traceParent) : undefined;
      return inSpan(tracer.startSpan(name, { attributes, kind: SpanKind.CONSUMER, links: remote ? [{ context: remote }] : [] }), run);
    },
    job(attributes, run) {
      const span = tracer.startSpan('job', { attributes, kind: SpanKind.CONSUMER });
      return inSpan(span, () =>
        run((type, traceParent) => {
          span.updateName(type);
          span.setAttribute('job.type', type);
          const remote = traceParent ? parseTraceParent(traceParent) : undefined;
          if (remote) span.addLink({ context: remote } satisfies Link);
        }),
      );
    },
    recordJob(type, outcome, ms) {
      jobRuns.add(1, { 'job.type': type, 'job.outcome': outcome });
      jobDuration.record(ms / 1000, { 'job.type': type, 'job.outcome': outcome });
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

type Tracer = ReturnType<BasicTracerProvider['getTracer']>;
type Meter = ReturnType<MeterProvider['getMeter']>;

const TRACE_PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A W3C `traceparent` header as a remote span context; undefined when it is not a valid one (then it is ignored). */
export function parseTraceParent(header: string): SpanContext | undefined {
  const m = TRACE_PARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const sc: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(sc) ? sc : undefined;
}

export const formatTraceParent = (sc: SpanContext) => `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;

/** Event-loop delay and heap, read when metrics are collected (OpenTelemetry's nodejs.* and v8js.* names). */
function runtimeMetrics(meter: Meter) {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const ns = (v: number) => (Number.isFinite(v) ? v / 1e9 : 0);
  const gauges = {
    p50: meter.createObservableGauge('nodejs.eventloop.delay.p50', { unit: 's', description: 'Event loop delay, median since the last collection' }),
    p90: meter.createObservableGauge('nodejs.eventloop.delay.p90', { unit: 's', description: 'Event loop delay, 90th percentile' }),
    p99: meter.createObservableGauge('nodejs.eventloop.delay.p99', { unit: 's', description: 'Event loop delay, 99th percentile' }),
    max: meter.createObservableGauge('nodejs.eventloop.delay.max', { unit: 's', description: 'Event loop delay, maximum' }),
  };
  const heapUsed = meter.createObservableGauge('v8js.memory.heap.used', { unit: 'By', description: 'V8 heap in use, by heap space' });
  const heapLimit = meter.createObservableGauge('v8js.memory.heap.limit', { unit: 'By', description: 'V8 heap size, by heap space' });
  const rss = meter.createObservableGauge('process.memory.usage', { unit: 'By', description: 'Resident set size' });
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(gauges.p50, ns(delay.percentile(50)));
      result.observe(gauges.p90, ns(delay.percentile(90)));
      result.observe(gauges.p99, ns(delay.percentile(99)));
      result.observe(gauges.max, ns(delay.max));
      delay.reset();
      for (const s of v8.getHeapSpaceStatistics()) {
        result.observe(heapUsed, s.space_used_size, { 'v8js.heap.space.name': s.space_name });
        result.observe(heapLimit, s.space_size, { 'v8js.heap.space.name': s.space_name });
      }
      result.observe(rss, process.memoryUsage.rss());
    },
    [gauges.p50, gauges.p90, gauges.p99, gauges.max, heapUsed, heapLimit, rss],
  );
  return () => delay.disable();
}

/** Connection pools (OpenTelemetry's db.client.connection.* names): used and idle connections, waiting callers, the maximum. */
function poolMetrics(meter: Meter) {
  const pools: { name: string; read: () => PoolStats | undefined }[] = [];
  const count = meter.createObservableUpDownCounter('db.client.connection.count', { unit: '{connection}', description: 'Pool connections by state' });
  const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', { unit: '{request}', description: 'Callers waiting for a pool connection' });
  const max = meter.createObservableUpDownCounter('db.client.connection.max', { unit: '{connection}', description: 'Pool size' });
  meter.addBatchObservableCallback(
    (result) => {
      for (const p of pools) {
        const s = p.read();
        if (!s) continue;
        const pool = { 'db.client.connection.pool.name': p.name };
        result.observe(count, s.used, { ...pool, 'db.client.connection.state': 'used' });
        result.observe(count, s.idle, { ...pool, 'db.client.connection.state': 'idle' });
        result.observe(pending, s.pending, pool);
        result.observe(max, s.max, pool);
      }
    },
    [count, pending, max],
  );
  return pools;
}

/** `SELECT`, `INSERT`, `BEGIN`… — the statement's first word, nothing else of it. */
const operation = (text: unknown) => (typeof text === 'string' ? /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'QUERY' : 'QUERY');

function endWith<T>(span: Span, result: T): T {
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    (result as unknown as Promise<unknown>).then(
      () => span.end(),
      (err) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string })?.code ?? 'error' });
        span.end();
      },
    );
  } else span.end();
  return result;
}

/** Only under a sampled span: an unsampled request's queries cost one context read, not a span each. */
const recordingParent = () => trace.getSpan(context.active())?.isRecording() === true;

function patchPg(tracer: Tracer) {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    // Callback form (pg's internals) and queries outside any (sampled) trace stay as they were.
    if (typeof args[args.length - 1] === 'function' || !recordingParent()) return original.apply(this, args);
    const first = args[0] as string | { text?: string };
    const op = operation(typeof first === 'string' ? first : first?.text);
    const span = tracer.startSpan(`db ${op}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.operation.name': op } });
    return endWith(span, original.apply(this, args));
  };
  return () => {
    proto.query = original;
  };
}

async function patchRedis(tracer: Tracer) {
  let mod: { Redis: { prototype: unknown }; Cluster: { prototype: unknown } };
  try {
    mod = await import('ioredis');
  } catch {
    return () => undefined;
  }
  const protos = [mod.Redis.prototype, mod.Cluster.prototype] as unknown as { sendCommand: (...args: unknown[]) => unknown }[];
  const originals = protos.map((p) => p.sendCommand);
  protos.forEach((p, i) => {
    const original = originals[i]!;
    p.sendCommand = function (this: unknown, ...args: unknown[]) {
      if (!recordingParent()) return original.apply(this, args);
      const name = String((args[0] as { name?: string })?.name ?? 'command').toUpperCase();
      const span = tracer.startSpan(`redis ${name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': name } });
      const command = args[0] as { promise?: Promise<unknown> };
      const result = original.apply(this, args);
      endWith(span, command?.promise ?? result);
      return result;
    };
  });
  return () => protos.forEach((p, i) => (p.sendCommand = originals[i]!));
}
