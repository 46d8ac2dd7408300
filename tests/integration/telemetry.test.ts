import { AggregationTemporality, InMemoryMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, stopTelemetry, telemetry } from '../../src/core/telemetry.js';
import { mkStudent, useServer } from '../factories/index.js';
import { DEFAULT_ENGINE } from '../helpers/engines.js';
import { DEFAULT_CACHE, newTenant } from '../helpers/server.js';
import { waitJob } from '../api/jobs.helpers.js';

/** Spans and metrics reach an (in-memory) exporter: request spans named by route, database/Redis spans beneath them. */
describe('telemetry (OpenTelemetry, in-memory exporters)', () => {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  beforeAll(async () => {
    await startTelemetry({ serviceName: 'daycare-test', exporters: { spans, metrics, metricIntervalMs: 3_600_000 } });
  });
  const srv = useServer();
  afterAll(async () => {
    await stopTelemetry();
  });

  const finished = () => spans.getFinishedSpans();
  const points = (all: ResourceMetrics[], name: string) =>
    all.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[])));

  it('a span per request named by the route template, with tenant and request ids; db and cache spans beneath; no children’s data', async () => {
    const { owner, tenant } = await newTenant(srv);
    const kid = await mkStudent(owner, { firstName: 'Zebedee', lastName: 'Quixotic' });
    spans.reset();
    const r = await owner.get(`/students/${kid.id}`);
    expect(r.status).toBe(200);
    const server = finished().find((s) => s.name === 'GET /students/:id');
    expect(server, finished().map((s) => s.name).join(', ')).toBeDefined();
    expect(server!.attributes).toMatchObject({ 'http.route': '/students/:id', 'http.response.status_code': 200, 'tenant.id': tenant.id, 'request.id': r.headers.get('x-request-id') });
    const children = (kind: string) => finished().filter((s: ReadableSpan) => s.attributes['db.system'] === kind && s.parentSpanContext?.spanId === server!.spanContext().spanId);
    if (DEFAULT_ENGINE === 'pg') expect(children('postgresql').length).toBeGreaterThan(0);
    if (DEFAULT_CACHE === 'redis') expect(children('redis').length).toBeGreaterThan(0);
    // Ids and templates only: the child's name and the path with its id appear nowhere.
    const dump = JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes })));
    expect(dump).not.toMatch(/Zebedee|Quixotic/);
    expect(dump).not.toContain(`/students/${kid.id}`);
    // An unknown path is one route, not one per path.
    await owner.get('/no/such/thing');
    expect(finished().some((s) => s.name === 'GET unmatched' && s.attributes['http.response.status_code'] === 404)).toBe(true);
  });

  it('metrics: requests by route and status, latency, job runs and durations, queue depth', async () => {
    const { owner } = await newTenant(srv);
    await owner.get('/students');
    const job = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02' });
    expect(job.status).toBe(202);
    await waitJob(owner, job.body.jobId);
    await telemetry.flush();
    const all = metrics.getMetrics();
    const requests = points(all, 'http.server.requests');
    expect(requests.some((p) => p.attributes['http.route'] === '/students' && p.attributes['http.response.status_code'] === 200 && p.attributes['http.request.method'] === 'GET')).toBe(true);
    const latency = points(all, 'http.server.request.duration').find((p) => p.attributes['http.route'] === '/students');
    expect((latency!.value as { count: number }).count).toBeGreaterThan(0);
    expect(points(all, 'daycare.job.runs').some((p) => p.attributes['job.type'] === 'report.attendance' && p.attributes['job.outcome'] === 'succeeded')).toBe(true);
    expect(points(all, 'daycare.job.duration').length).toBeGreaterThan(0);
    expect(points(all, 'daycare.queue.depth').length).toBe(1);
    // The job's own span, with its database spans beneath it on the server engine.
    expect(finished().some((s) => s.name === 'job' && s.attributes['job.id'] === job.body.jobId)).toBe(true);
  });
});
