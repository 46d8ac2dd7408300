import { AggregationTemporality, InMemoryMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, stopTelemetry, telemetry } from '../../src/core/telemetry.js';
import { DURATION_BUCKETS_SECONDS, formatTraceParent, parseTraceParent } from '../../src/core/telemetry-otel.js';
import pkg from '../../package.json' with { type: 'json' };
import { createLogger } from '../../src/core/logger.js';
import { mkStudent, useServer } from '../factories/index.js';
import { DEFAULT_ENGINE } from '../helpers/engines.js';
import { DEFAULT_CACHE, newTenant } from '../helpers/server.js';
import { waitJob } from '../api/jobs.helpers.js';

/** Spans and metrics reach an (in-memory) exporter: request spans named by route, database/Redis spans beneath them. */
describe('telemetry (OpenTelemetry, in-memory exporters)', () => {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  beforeAll(async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=staging-eu,team.name=childcare';
    try {
      await startTelemetry({ serviceName: 'daycare-test', environment: 'test', traceRatio: 1, exporters: { spans, metrics, metricIntervalMs: 3_600_000 } });
    } finally {
      delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    }
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
    const children = (kind: string) => finished().filter((s: ReadableSpan) => s.attributes['db.system.name'] === kind && s.parentSpanContext?.spanId === server!.spanContext().spanId);
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
    // The job's own span, named after its type, with its database spans beneath it on the server engine.
    expect(finished().some((s) => s.name === 'report.attendance' && s.attributes['job.id'] === job.body.jobId && s.attributes['job.type'] === 'report.attendance')).toBe(true);
  });

  it('every duration histogram exports the seconds buckets (0.005 … 10), and a request lands in a bucket below 10 s', async () => {
    const { owner } = await newTenant(srv);
    await owner.get('/students');
    const job = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02' });
    await waitJob(owner, job.body.jobId);
    await telemetry.flush();
    const all = metrics.getMetrics();
    for (const name of ['http.server.request.duration', 'daycare.job.duration']) {
      const p = points(all, name)[0]!.value as { buckets: { boundaries: number[]; counts: number[] }; count: number };
      expect(p.buckets.boundaries, name).toEqual(DURATION_BUCKETS_SECONDS);
      expect(DURATION_BUCKETS_SECONDS).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
      // Seconds, not milliseconds: nothing fell into the overflow bucket (> 10 s).
      expect(p.buckets.counts.at(-1), name).toBe(0);
      expect(p.buckets.counts.reduce((a, b) => a + b, 0)).toBe(p.count);
    }
    const latency = points(all, 'http.server.request.duration').find((p) => p.attributes['http.route'] === '/students')!.value as { buckets: { counts: number[] } };
    expect(latency.buckets.counts.slice(0, -1).some((n) => n > 0)).toBe(true);
  });

  it('the resource carries service.version, deployment.environment.name and OTEL_RESOURCE_ATTRIBUTES', async () => {
    await telemetry.flush();
    const resource = metrics.getMetrics()[0]!.resource.attributes;
    expect(resource['service.name']).toBe('daycare-test');
    expect(resource['service.version']).toBe(pkg.version);
    expect(resource['deployment.environment.name']).toBe('staging-eu');
    expect(resource['team.name']).toBe('childcare');
  });

  it('runtime metrics: event-loop delay, heap by space, and the pool when the engine is a server', async () => {
    await telemetry.flush();
    const all = metrics.getMetrics();
    expect(points(all, 'nodejs.eventloop.delay.p99').length).toBeGreaterThan(0);
    expect(points(all, 'v8js.memory.heap.used').some((p) => p.attributes['v8js.heap.space.name'] === 'old_space' && (p.value as number) > 0)).toBe(true);
    if (DEFAULT_ENGINE === 'pg') {
      const states = points(all, 'db.client.connection.count').map((p) => p.attributes['db.client.connection.state']);
      expect(states).toEqual(expect.arrayContaining(['used', 'idle']));
      expect(points(all, 'db.client.connection.pending_requests').length).toBeGreaterThan(0);
    }
  });

  it('an incoming traceparent is honoured: the request span is its child, and the job it enqueues links back to the request', async () => {
    const { owner } = await newTenant(srv);
    spans.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02' }, { traceparent: `00-${traceId}-${parentId}-01` });
    expect(r.status).toBe(202);
    await waitJob(owner, r.body.jobId);
    const request = finished().find((s) => s.name === 'POST /reports')!;
    expect(request.spanContext().traceId).toBe(traceId);
    expect(request.parentSpanContext?.spanId).toBe(parentId);
    const jobSpan = finished().find((s) => s.attributes['job.id'] === r.body.jobId)!;
    expect(jobSpan.name).toBe('report.attendance');
    expect(jobSpan.links.map((l) => l.context.spanId)).toContain(request.spanContext().spanId);
    expect(jobSpan.links.map((l) => l.context.traceId)).toContain(traceId);
    // The outbox event that sent the job: its span links to the request too.
    const event = finished().find((s) => s.name.startsWith('event job.') && s.links.some((l) => l.context.traceId === traceId));
    expect(event, finished().map((s) => s.name).join(', ')).toBeDefined();
    // A malformed traceparent is ignored: a new trace, no error.
    const bad = await owner.get('/students', { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' });
    expect(bad.status).toBe(200);
    const fresh = finished().filter((s) => s.name === 'GET /students').at(-1)!;
    expect(fresh.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(fresh.parentSpanContext).toBeUndefined();
  });

  it('log lines carry trace_id and span_id: the request line, and a line written outside any request under a span', async () => {
    const { owner } = await newTenant(srv);
    const lines: Record<string, any>[] = [];
    const original = srv.container.logger;
    srv.container.logger = createLogger('info', { write: (s: string) => lines.push(JSON.parse(s)) } as never);
    try {
      spans.reset();
      await owner.get('/students', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      const line = lines.find((l) => l.msg === 'request')!;
      const span = finished().find((s) => s.name === 'GET /students')!;
      expect(line).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: span.spanContext().spanId });
      await telemetry.span('background', {}, async () => srv.container.logger.info('inside a span'));
      const background = finished().find((s) => s.name === 'background')!;
      expect(lines.find((l) => l.msg === 'inside a span')).toMatchObject({ trace_id: background.spanContext().traceId, span_id: background.spanContext().spanId });
      srv.container.logger.info('outside');
      expect(lines.find((l) => l.msg === 'outside')!.trace_id).toBeUndefined();
    } finally {
      srv.container.logger = original;
    }
  });

  it('parses and formats W3C traceparent strictly', () => {
    expect(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
    for (const bad of ['', 'garbage', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'])
      expect(parseTraceParent(bad), bad).toBeUndefined();
    expect(formatTraceParent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 })).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  });
});
