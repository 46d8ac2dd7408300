import { describe, expect, it } from 'vitest';
import { EmfMetricExporter } from '../../src/core/telemetry-emf.js';
import { createLogger } from '../../src/core/logger.js';
import { mkStudent, useServer } from '../factories/index.js';
import { newTenant } from '../helpers/server.js';

/** The access log: one line per request with route, user, address and error code; credentials and queries never. */
describe('request log', () => {
  const srv = useServer();
  const capture = (level = 'info') => {
    const lines: Record<string, any>[] = [];
    srv.container.logger = createLogger(level, { write: (s: string) => lines.push(JSON.parse(s)) } as never);
    return lines;
  };

  it('one line per request: route template, user id, client IP, status, and the error code of a 4xx', async () => {
    const { owner } = await newTenant(srv);
    const kid = await mkStudent(owner, { firstName: 'Zebedee' });
    const lines = capture();
    await owner.get(`/students/${kid.id}?secret=query-value`);
    await owner.get(`/students/00000000-0000-7000-8000-000000000000`);
    await srv.agent().get('/students');
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(3);
    const [ok, missing, anonymous] = requests;
    expect(ok).toMatchObject({ method: 'GET', route: '/students/:id', status: 200, ip: '127.0.0.1', userId: expect.any(String), requestId: expect.any(String), tenantId: expect.any(String) });
    expect(ok!.code).toBeUndefined();
    expect(missing).toMatchObject({ route: '/students/:id', status: 404, code: 'NOT_FOUND', userId: ok!.userId });
    expect(anonymous).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', ip: '127.0.0.1' });
    expect(anonymous!.userId).toBeUndefined();
    // Never the query string, a body or a child's name.
    expect(JSON.stringify(lines)).not.toMatch(/query-value|secret=|Zebedee/);
  });

  it('LOG_LEVEL=debug adds a line when a request starts and who/what details to the request line', async () => {
    const { owner } = await newTenant(srv);
    const lines = capture('debug');
    await owner.get('/students');
    expect(lines.find((l) => l.msg === 'request started')).toMatchObject({ method: 'GET', path: '/students' });
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ membershipId: expect.any(String), roles: expect.any(Array) });
  });

  it('redacts cookies and authorization headers at any depth', () => {
    const out: string[] = [];
    const log = createLogger('info', { write: (s: string) => out.push(s) } as never);
    log.info({ req: { headers: { cookie: 'a=b', authorization: 'Bearer t', 'set-cookie': 'c=d', host: 'h' } }, deep: { a: { b: { cookie: 'x' } } }, authorization: 'y' }, 'm');
    const line = JSON.parse(out[0]!);
    expect(line.req.headers).toEqual({ cookie: '[redacted]', authorization: '[redacted]', 'set-cookie': '[redacted]', host: 'h' });
    expect(line.deep.a.b.cookie).toBe('[redacted]');
    expect(line.authorization).toBe('[redacted]');
  });
});

describe('CloudWatch EMF metric exporter (Lambda)', () => {
  it('writes one EMF line per metric and attribute set, histograms as a count-weighted mean', () => {
    const out: string[] = [];
    const exporter = new EmfMetricExporter('daycare', (l) => out.push(l));
    const result: { code?: number } = {};
    exporter.export(
      {
        resource: {} as never,
        scopeMetrics: [
          {
            scope: { name: 'x' },
            metrics: [
              { descriptor: { name: 'http.server.requests', unit: '' }, dataPointType: 3, dataPoints: [{ attributes: { 'http.route': '/students', 'http.response.status_code': 200 }, value: 4 }] },
              { descriptor: { name: 'http.server.request.duration', unit: 's' }, dataPointType: 0, dataPoints: [{ attributes: { 'http.route': '/students' }, value: { sum: 0.75, count: 3, max: 0.5 } }] },
            ],
          },
        ],
      } as never,
      (r) => Object.assign(result, r),
    );
    expect(result.code).toBe(0);
    const [count, latency] = out.map((l) => JSON.parse(l));
    expect(count).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'daycare', Dimensions: [['http.route', 'http.response.status_code']], Metrics: [{ Name: 'http.server.requests', Unit: 'Count' }] }] },
      'http.route': '/students',
      'http.response.status_code': '200',
      'http.server.requests': 4,
    });
    expect(latency['http.server.request.duration']).toEqual({ Values: [0.25], Counts: [3] });
    expect(latency._aws.CloudWatchMetrics[0].Metrics[0].Unit).toBe('Seconds');
  });
});
