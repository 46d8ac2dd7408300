import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRACE_RATIO } from '../../src/core/telemetry-otel.js';
import { startTelemetry, stopTelemetry, telemetry } from '../../src/core/telemetry.js';

/**
 * The default sampler (OTEL_TRACES_SAMPLER unset): one root trace in ten is recorded, a caller's sampled traceparent
 * always is, and the metrics count every request whatever was sampled.
 */
describe.skipIf(process.env.OTEL_TRACES_SAMPLER !== undefined)('telemetry: default trace sampling', () => {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  beforeAll(() => startTelemetry({ serviceName: 'daycare-sampling', exporters: { spans, metrics, metricIntervalMs: 3_600_000 } }));
  afterAll(() => stopTelemetry());
  const request = (traceParent?: string) => telemetry.request('GET', traceParent, async () => undefined, () => ({ route: '/students', status: 200 }));

  it('records about one root trace in ten, every sampled caller, and counts every request', async () => {
    expect(DEFAULT_TRACE_RATIO).toBe(0.1);
    for (let i = 0; i < 1000; i++) await request();
    const roots = spans.getFinishedSpans().length;
    // Binomial(1000, 0.1): 100 ± 9.5; far outside [40, 180] only with a broken sampler.
    expect(roots).toBeGreaterThan(40);
    expect(roots).toBeLessThan(180);
    spans.reset();
    for (let i = 0; i < 20; i++) await request(`00-${String(i + 1).padStart(32, 'a')}-00f067aa0ba902b7-01`);
    expect(spans.getFinishedSpans()).toHaveLength(20);
    // An unsampled caller (flags 00) is followed too: nothing recorded.
    spans.reset();
    for (let i = 0; i < 20; i++) await request(`00-${String(i + 1).padStart(32, 'b')}-00f067aa0ba902b7-00`);
    expect(spans.getFinishedSpans()).toHaveLength(0);
    await telemetry.flush();
    const point = metrics
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.descriptor.name === 'http.server.request.duration')!.dataPoints[0]!.value as { count: number };
    expect(point.count).toBe(1040);
  });

  it('an unsampled request builds no span: nothing beneath it is recorded, and it carries no trace id', async () => {
    spans.reset();
    let withIds = 0;
    for (let i = 0; i < 300; i++) {
      await telemetry.request('GET', undefined, () => telemetry.span('inner', {}, async () => void (telemetry.logFields() && telemetry.traceParent() && withIds++)), () => ({ route: '/students', status: 200 }));
    }
    const finished = spans.getFinishedSpans();
    const roots = finished.filter((s) => s.name === 'GET /students');
    const inner = finished.filter((s) => s.name === 'inner');
    // A span beneath a request is recorded exactly when the request is (never a root of its own), and only then has ids.
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.length).toBeLessThan(90);
    expect(inner).toHaveLength(roots.length);
    const rootIds = new Set(roots.map((s) => s.spanContext().spanId));
    for (const s of inner) expect(rootIds.has(s.parentSpanContext!.spanId)).toBe(true);
    expect(withIds).toBe(roots.length);
  });
});
