import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE } from '../helpers/engines.js';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';

/**
 * pg-boss (JOBS_QUEUE=pgboss) with no `npm run worker`: the API sends jobs nobody consumes. /health/ready keeps its
 * contract (200 while the database answers) and says so in `jobs` once the oldest waited JOBS_STALLED_SECONDS.
 */
describe.skipIf(DEFAULT_ENGINE !== 'pg')('jobs waiting with no worker (pg-boss)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ env: { JOBS_QUEUE: 'pgboss', DATABASE_URL: process.env.DATABASE_URL!, JOBS_STALLED_SECONDS: '5' } });
  });
  afterAll(() => srv?.close());

  it('readiness stays 200 and reports the backlog as stalled, with no worker connected', async () => {
    const before = await fetch(`${srv.url}/health/ready`);
    expect(before.status).toBe(200);
    const { owner } = await newTenant(srv);
    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02' });
    expect(r.status).toBe(202);
    await srv.container.workers.drain(); // the outbox subscriber sends the job to pg-boss
    await new Promise((res) => setTimeout(res, 6_500)); // past JOBS_STALLED_SECONDS and the 5 s cache of the reading
    const ready = await fetch(`${srv.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; jobs: { status: string; waiting: number; oldestWaitingSeconds: number; workerConnections: number } };
    expect(body.status).toBe('ok');
    expect(body.jobs.status).toBe('stalled');
    expect(body.jobs.waiting).toBeGreaterThanOrEqual(1);
    expect(body.jobs.oldestWaitingSeconds).toBeGreaterThanOrEqual(5);
    expect(body.jobs.workerConnections).toBe(0);
  }, 60_000);
});
