/**
 * Issue 20 point 3 / issue 23: an acknowledged job is never left `queued`. The API (self-hosted, JOBS_QUEUE=pgboss) is
 * killed with SIGKILL the moment the first 202 of a burst of report requests arrives — before it could send most of
 * them to pg-boss. The job rows and their `job.<type>.requested` outbox rows committed with each 202; a worker process
 * (`npm run worker`) started afterwards drains the outbox, sends them, and every acknowledged job runs to the end.
 * Private PostgreSQL cluster (never the shared one); run with `npx vitest run -c vitest.faults.config.ts tests/faults/outbox.test.ts`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, cookiesOf, freePort, missingTools, PgCluster, request, sessionHeaders, signIn, sleep } from './harness.js';
import { buildServer } from '../helpers/build.js';

const missing = missingTools();
if (missing) console.warn(`outbox fault test skipped: ${missing}`);

const BURST = 30;

describe.skipIf(!!missing)('the outbox under a kill right after 202', () => {
  let cluster: PgCluster;
  let api: ApiProcess;
  let worker: ChildProcess | undefined;
  let workerLog = '';
  let dataDir: string;
  let admin: pg.Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    buildServer();
    const [pgPort, apiPort] = [await freePort(), await freePort()];
    cluster = new PgCluster(pgPort);
    process.once('exit', () => {
      api?.kill('SIGKILL');
      worker?.kill('SIGKILL');
      cluster.destroy();
    });
    cluster.init();
    cluster.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'daycare-outbox-data-'));
    env = {
      NODE_ENV: 'development',
      DATABASE_URL: cluster.url,
      JOBS_QUEUE: 'pgboss',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      SCHEDULER_ENABLED: 'false',
      RATE_LIMIT_PER_MINUTE: '10000000',
    };
    api = new ApiProcess(env, apiPort);
    await api.start();
    admin = new pg.Client({ connectionString: cluster.url });
    admin.on('error', () => undefined);
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    if (api?.alive) api.kill('SIGKILL');
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker!.once('exit', r));
    }
    await admin?.end().catch(() => undefined);
    cluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('every job answered 202 before the kill runs, once the worker drains the outbox', async () => {
    const token = execFileSync(process.execPath, ['dist/server/cli.mjs', 'token', '--email', 'outbox@example.test'], { env: { ...process.env, ...env } }).toString().trim();
    const session = await signIn(api.base, token);
    const t = await request(api.base, 'POST', '/tenants', { headers: sessionHeaders(session), body: { name: 'Outbox', timezone: 'UTC' } });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    for (const [k, v] of cookiesOf(t.headers).jar) session.jar.set(k, v);
    session.csrf = decodeURIComponent(session.jar.get('__Host-csrf')!);
    const tenantId = t.body.tenant.id as string;

    // A burst of reports; the server dies the moment the first one is acknowledged.
    const acked: string[] = [];
    const today = new Date().toISOString().slice(0, 10);
    await Promise.all(
      Array.from({ length: BURST }, () =>
        request(api.base, 'POST', '/reports', { headers: sessionHeaders(session), body: { type: 'attendance', from: today, to: today } }).then(
          (r) => {
            if (r.status === 202) {
              acked.push(r.body.jobId);
              api.kill('SIGKILL');
            }
          },
          () => undefined,
        ),
      ),
    );
    await api.exited();
    expect(acked.length).toBeGreaterThan(0);

    // What the kill left: every acknowledged job is a committed row, with its event in the outbox.
    const rows = await admin.query<{ id: string; status: string }>(`select id, status from jobs where tenant_id = $1`, [tenantId]);
    const committed = new Set(rows.rows.map((r) => r.id));
    for (const id of acked) expect(committed.has(id), id).toBe(true);
    const outbox = await admin.query<{ n: number }>(`select count(*)::int as n from outbox_events where tenant_id = $1 and name = 'job.report.attendance.requested'`, [tenantId]);
    expect(outbox.rows[0]!.n).toBe(rows.rows.length);
    const undelivered = await admin.query<{ n: number }>(
      `select count(*)::int as n from outbox_events where tenant_id = $1 and name = 'job.report.attendance.requested' and status = 'pending'`,
      [tenantId],
    );
    // The scenario happened: committed work whose queue send the kill prevented (pg-boss starts on the first send).
    expect(undelivered.rows[0]!.n).toBeGreaterThan(0);
    console.info(`outbox test: ${acked.length} acknowledged, ${rows.rows.length} committed, ${undelivered.rows[0]!.n} events not yet delivered at the kill`);

    // A worker process: it drains the outbox (sends to pg-boss) and runs the jobs.
    worker = spawn(process.execPath, ['dist/server/worker.mjs'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d) => (workerLog = (workerLog + String(d)).slice(-20_000)));
    worker.stderr!.on('data', (d) => (workerLog = (workerLog + String(d)).slice(-20_000)));
    const deadline = Date.now() + 90_000;
    let statuses: Map<string, string> = new Map();
    while (Date.now() < deadline) {
      const r = await admin.query<{ id: string; status: string }>(`select id, status from jobs where tenant_id = $1`, [tenantId]);
      statuses = new Map(r.rows.map((x) => [x.id, x.status]));
      if ([...statuses.values()].every((s) => s === 'succeeded')) break;
      await sleep(500);
    }
    expect(Object.fromEntries(acked.map((id) => [id, statuses.get(id)])), workerLog).toEqual(Object.fromEntries(acked.map((id) => [id, 'succeeded'])));
    // Every committed job too (some were committed without their 202 reaching us), and the outbox is empty.
    expect([...statuses.values()].filter((s) => s !== 'succeeded')).toEqual([]);
    const left = await admin.query<{ n: number }>(`select count(*)::int as n from outbox_events where tenant_id = $1 and status = 'pending'`, [tenantId]);
    expect(left.rows[0]!.n).toBe(0);
  });
});
