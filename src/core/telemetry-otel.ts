import { context, metrics, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import type { Attributes, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

/**
 * The OpenTelemetry SDK behind src/core/telemetry.ts, loaded only when telemetry is on. Database spans wrap pg's
 * Client#query and Redis spans ioredis's sendCommand (patched here, so db.ts and the cache adapter stay untouched);
 * their names carry the operation only (`db SELECT`, `redis GET`), never the statement, its parameters or a key.
 */
export async function createOtelTelemetry(opts: TelemetryOptions): Promise<TelemetryImpl> {
  const resource = resourceFromAttributes({ 'service.name': opts.serviceName });
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
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: spanExporter ? [opts.exporters ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter)] : [],
  });
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: opts.exporters?.metricIntervalMs ?? 60_000 });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const tracer = tracerProvider.getTracer('daycare-api');
  const meter = meterProvider.getMeter('daycare-api');
  metrics.setGlobalMeterProvider(meterProvider);

  const requestDuration = meter.createHistogram('http.server.request.duration', { unit: 's', description: 'Request latency by route and status' });
  const requests = meter.createCounter('http.server.requests', { description: 'Requests by route and status' });
  const jobRuns = meter.createCounter('daycare.job.runs', { description: 'Job deliveries by type and outcome' });
  const jobDuration = meter.createHistogram('daycare.job.duration', { unit: 's', description: 'Job delivery duration by type and outcome' });
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
    async request(method, run, outcome) {
      const started = performance.now();
      const span = tracer.startSpan(`${method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } });
      try {
        return await context.with(trace.setSpan(context.active(), span), run);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
        throw err;
      } finally {
        const o = outcome();
        const route = o.route && o.route !== '*' && o.route !== '/*' ? o.route : 'unmatched';
        span.updateName(`${method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': o.status, ...(o.requestId ? { 'request.id': o.requestId } : {}), ...(o.tenantId ? { 'tenant.id': o.tenantId } : {}) });
        if (o.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        const attrs = { 'http.route': route, 'http.request.method': method, 'http.response.status_code': o.status };
        requestDuration.record((performance.now() - started) / 1000, attrs);
        requests.add(1, attrs);
      }
    },
    span(name: string, attributes: Attributes, run) {
      return inSpan(tracer.startSpan(name, { attributes }), run);
    },
    recordJob(type, outcome, ms) {
      jobRuns.add(1, { 'job.type': type, 'job.outcome': outcome });
      jobDuration.record(ms / 1000, { 'job.type': type, 'job.outcome': outcome });
    },
    observeQueueDepth(read) {
      depthReaders.push(read);
    },
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      for (const u of unpatch) u();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
      context.disable();
      metrics.disable();
    },
  };
}

type Tracer = ReturnType<BasicTracerProvider['getTracer']>;

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

function patchPg(tracer: Tracer) {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    // Callback form (pg's internals) and queries outside any trace stay as they were.
    if (typeof args[args.length - 1] === 'function' || !trace.getSpan(context.active())) return original.apply(this, args);
    const first = args[0] as string | { text?: string };
    const op = operation(typeof first === 'string' ? first : first?.text);
    const span = tracer.startSpan(`db ${op}`, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.operation': op } });
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
      if (!trace.getSpan(context.active())) return original.apply(this, args);
      const name = String((args[0] as { name?: string })?.name ?? 'command').toUpperCase();
      const span = tracer.startSpan(`redis ${name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis', 'db.operation': name } });
      const command = args[0] as { promise?: Promise<unknown> };
      const result = original.apply(this, args);
      endWith(span, command?.promise ?? result);
      return result;
    };
  });
  return () => protos.forEach((p, i) => (p.sendCommand = originals[i]!));
}
