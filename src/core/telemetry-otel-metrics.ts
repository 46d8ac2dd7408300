import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { ROOT_CONTEXT, type Attributes, type Meter } from '@opentelemetry/api';
import type { PoolStats } from './telemetry-types.js';

/**
 * Every duration histogram's bucket boundaries, in seconds (the SDK's default boundaries are milliseconds: a latency in
 * seconds would land in its first bucket, and p95/p99 would mean nothing). OpenTelemetry's own advice for
 * `http.server.request.duration`.
 */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Beyond this many (route, method, status) attribute sets, a request's attributes are built afresh, not kept. */
const MAX_CACHED_ATTRIBUTE_SETS = 2000;

/** The instruments, and the request's two measurements: every request, sampled or not, records them. */
export function createInstruments(meter: Meter) {
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS } };
  const requestDuration = meter.createHistogram('http.server.request.duration', { ...seconds, description: 'Request latency by route and status' });
  const requests = meter.createCounter('http.server.requests', { description: 'Requests by route and status' });
  const jobRuns = meter.createCounter('daycare.job.runs', { description: 'Job deliveries by type and outcome' });
  const jobDuration = meter.createHistogram('daycare.job.duration', { ...seconds, description: 'Job delivery duration by type and outcome' });
  // One frozen attribute object per (route, method, status), built once: no object per request. The SDK still hashes
  // it on every record (it has no bound instruments), but the request path allocates nothing here.
  const attributeSets = new Map<string, Map<string, Map<number, Attributes>>>();
  let cached = 0;
  function requestAttributes(route: string, method: string, status: number): Attributes {
    let byMethod = attributeSets.get(route);
    if (!byMethod) attributeSets.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let attrs = byStatus.get(status);
    if (!attrs) {
      attrs = Object.freeze({ 'http.route': route, 'http.request.method': method, 'http.response.status_code': status });
      if (cached < MAX_CACHED_ATTRIBUTE_SETS) {
        byStatus.set(status, attrs);
        cached++;
      }
    }
    return attrs;
  }
  return {
    recordRequest(route: string, method: string, status: number, seconds: number) {
      const attrs = requestAttributes(route, method, status);
      // The context only feeds exemplars, which this SDK does not record: the root context spares a context read.
      requestDuration.record(seconds, attrs, ROOT_CONTEXT);
      requests.add(1, attrs, ROOT_CONTEXT);
    },
    recordJob(type: string, outcome: string, ms: number) {
      jobRuns.add(1, { 'job.type': type, 'job.outcome': outcome });
      jobDuration.record(ms / 1000, { 'job.type': type, 'job.outcome': outcome });
    },
  };
}

/** The queue's depth and its oldest job's age, read when metrics are collected. */
export function queueMetrics(meter: Meter) {
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
  return { depthReaders, ageReaders };
}

/** Event-loop delay and heap, read when metrics are collected (OpenTelemetry's nodejs.* and v8js.* names). */
export function runtimeMetrics(meter: Meter) {
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
export function poolMetrics(meter: Meter) {
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
