/**
 * Jobs under faults (issue 20, points 1, 2, 4, 5 and the worker log line of 11): the built API and `npm run worker`
 * processes (JOBS_QUEUE=pgboss) against a PostgreSQL cluster of this file's own, which it restarts and stops; workers
 * are SIGKILLed mid-import. Never the machine's shared PostgreSQL or Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingTools, request, sessionHeaders, sleep, startFaultStack, type ApiProcess, type FaultStack, type PgCluster } from './harness.js';

const missing = missingTools();
if (missing) console.warn(`jobs fault suite skipped: ${missing}`);

const LEASE_SECONDS = 2;
const IMPORT_ROWS = 3000;

/** One `npm run worker` process (the built dist/server/worker.mjs) and its JSON log lines. */
class WorkerProcess {
  child: ChildProcess | undefined;
  lines: Record<string, any>[] = [];
  stderr = '';
  constructor(
    readonly name: string,
    readonly env: Record<string, string>,
  ) {}
  start() {
    const child = spawn(process.execPath, ['dist/server/worker.mjs'], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        try {
          this.lines.push(JSON.parse(l));
        } catch {
          /* not a log line */
        }
      }
    });
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-20_000)));
    this.child = child;
    return this;
  }
  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  logged(msg: string) {
    return this.lines.filter((l) => l.msg === msg);
  }
  async ready(ms = 30_000) {
    await until(`${this.name} consuming`, () => this.logged('worker consuming jobs from pg-boss').length > 0 || (!this.alive && Promise.reject(new Error(`${this.name} exited: ${this.stderr}`))), ms);
  }
  kill(signal: NodeJS.Signals = 'SIGKILL') {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill(signal);
    return c ? new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))) : Promise.resolve();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!!missing)('jobs under faults (pg-boss workers)', () => {
  let stack: FaultStack;
  let cluster: PgCluster;
  let api: ApiProcess;
  let admin: pg.Pool;
  let session: { jar: Map<string, string>; csrf: string };
  let tenantId: string;
  let workerEnv: Record<string, string>;
  const workers: WorkerProcess[] = [];

  const headers = () => sessionHeaders(session);
  const startWorker = (name: string, env: Record<string, string> = {}) => {
    const w = new WorkerProcess(name, { ...workerEnv, ...env }).start();
    workers.push(w);
    return w;
  };
  const jobRow = async (id: string) => (await admin.query('select status, progress, attempts, result, error from jobs where id = $1', [id])).rows[0];
  const children = async (lastName: string) => (await admin.query<{ n: number; distinct: number }>(`select count(*)::int n, count(distinct first_name)::int as distinct from students where tenant_id = $1 and last_name = $2`, [tenantId, lastName])).rows[0]!;
  const whoRan = (jobId: string) => workers.find((w) => w.lines.some((l) => l.msg === 'job started' && l.jobId === jobId));

  async function report() {
    const r = await request(api.base, 'POST', '/reports', { headers: headers(), body: { type: 'attendance', from: '2026-01-01', to: '2026-01-02' } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return r.body.jobId as string;
  }
  /** Upload through presign + the signed local URL, then POST /imports: the job id. */
  async function importCsv(lastName: string, rows = IMPORT_ROWS, fileId?: string) {
    if (!fileId) {
      const csv = 'firstName,lastName,dateOfBirth\n' + Array.from({ length: rows }, (_, i) => `Kid${i},${lastName},2021-03-04`).join('\n') + '\n';
      const bytes = Buffer.from(csv);
      const p = await request(api.base, 'POST', '/files/presign', { headers: headers(), body: { purpose: 'import', contentType: 'text/csv', size: bytes.byteLength, fileName: 'kids.csv' } });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const up = await fetch(p.body.upload.url, { method: p.body.upload.method, headers: p.body.upload.headers, body: bytes });
      expect(up.status).toBeLessThan(300);
      fileId = p.body.fileId as string;
    }
    const r = await request(api.base, 'POST', '/imports', { headers: headers(), body: { type: 'students', fileId } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return { jobId: r.body.jobId as string, fileId: fileId! };
  }
  const finished = (ids: string[], ms: number) =>
    until(`${ids.length} jobs to finish`, async () => (await admin.query(`select count(*)::int n from jobs where id = any($1) and status in ('succeeded', 'failed')`, [ids])).rows[0].n === ids.length, ms);

  beforeAll(async () => {
    stack = await startFaultStack(
      { JOBS_QUEUE: 'pgboss', RATE_LIMIT_AUTH_PER_MINUTE: '1000000', RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: '1000000', RATE_LIMIT_PER_MINUTE: '10000000' },
      { onExit: () => workers.forEach((w) => w.child?.kill('SIGKILL')) },
    );
    ({ cluster, api } = stack);
    // The workers share the API's DATA_DIR: its local secret and the uploaded files.
    workerEnv = { ...stack.env, LOG_LEVEL: 'info', JOBS_LEASE_SECONDS: String(LEASE_SECONDS), SHUTDOWN_DRAIN_SECONDS: '2' };
    // A pool (the tests query while the cluster restarts), beside the stack's one admin connection.
    admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
    admin.on('error', () => undefined);
    ({ session, tenantId } = await stack.newCentre('jobs-faults@example.test', 'Jobs faults'));
    const [w1, w2] = [startWorker('w1'), startWorker('w2')];
    await Promise.all([w1.ready(), w2.ready()]);
  }, 90_000);

  afterAll(async () => {
    stack?.api.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.kill()));
    await admin?.end().catch(() => undefined);
    await stack?.close();
  }, 30_000);

  it('30 short reports finish in a few seconds, not one per 2-second poll', async () => {
    const started = Date.now();
    const ids = await Promise.all(Array.from({ length: 30 }, () => report()));
    await finished(ids, 20_000);
    const ms = Date.now() - started;
    const rows = (await admin.query(`select status, count(*)::int n from jobs where id = any($1) group by 1`, [ids])).rows;
    expect(rows).toEqual([{ status: 'succeeded', n: 30 }]);
    // One slot per worker (WORKER_CONCURRENCY 1): a poll per job would need 30 s; fetching again at once, a few.
    expect(ms).toBeLessThan(15_000);
  }, 30_000);

  it('the same file imported twice at once by the two workers: each child once', async () => {
    const first = await importCsv('Twice', 1500);
    const second = await importCsv('Twice', 1500, first.fileId);
    await finished([first.jobId, second.jobId], 30_000);
    expect((await jobRow(first.jobId)).status).toBe('succeeded');
    expect((await jobRow(second.jobId)).status).toBe('succeeded');
    expect(await children('Twice')).toEqual({ n: 1500, distinct: 1500 });
  }, 40_000);

  it('a worker SIGKILLed mid-import: another takes the job over within seconds and continues it, no child twice', async () => {
    const { jobId } = await importCsv('Killed');
    await until('the import to be under way', async () => {
      const j = await jobRow(jobId);
      return j.status === 'running' && j.progress > 0 && whoRan(jobId);
    }, 30_000);
    const victim = whoRan(jobId)!;
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    const before = await children('Killed');
    expect(before.n).toBeLessThan(IMPORT_ROWS);
    // JOBS_TIMEOUT_SECONDS is 900: only the lease (2 s) and the sweeper bring it back this soon.
    await finished([jobId], 25_000);
    const took = Date.now() - killedAt;
    const job = await jobRow(jobId);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.attempts).toBe(2);
    // The re-run continued from the last committed batch: every child once, and counted once.
    expect(await children('Killed')).toEqual({ n: IMPORT_ROWS, distinct: IMPORT_ROWS });
    expect(job.result).toMatchObject({ created: IMPORT_ROWS, updated: 0, skipped: 0, rows: IMPORT_ROWS });
    expect(took).toBeLessThan(20_000);
    console.log(`job taken over and finished ${took} ms after the kill`);
    workers.splice(workers.indexOf(victim), 1);
  }, 60_000);

  it('a PostgreSQL restart mid-job kills no worker; the job finishes; the log lines carry the error', async () => {
    const { jobId } = await importCsv('Restart');
    const reports = await Promise.all(Array.from({ length: 6 }, () => report()));
    await until('the import to be under way', async () => {
      const j = await jobRow(jobId);
      return j.status === 'running' && j.progress > 0;
    }, 30_000);
    cluster.restart();
    await sleep(2000);
    const alive = workers.map((w) => [w.name, w.alive, w.stderr.slice(-300)]);
    expect(alive.filter(([, a]) => !a)).toEqual([]);
    await finished([jobId, ...reports], 40_000);
    expect((await jobRow(jobId)).status).toBe('succeeded');
    expect(await children('Restart')).toEqual({ n: IMPORT_ROWS, distinct: IMPORT_ROWS });
    expect(workers.every((w) => w.alive)).toBe(true);

    // Point 11: what went wrong is in the worker's log lines, never a bare {"type":"string"}.
    const errLines = workers.flatMap((w) => w.lines.filter((l) => l.err));
    expect(errLines.filter((l) => l.err.type === 'string' || l.err.type === 'object')).toEqual([]);
    expect(errLines.some((l) => typeof l.err.message === 'string' || typeof l.err.code === 'string')).toBe(true);
  }, 60_000);

  it('a worker started while PostgreSQL is down waits for it instead of exiting', async () => {
    cluster.stop('fast');
    const late = startWorker('late');
    await until('the late worker to try again', () => late.logged('the database is not reachable; the worker tries again').length >= 1 || !late.alive, 30_000);
    expect(late.alive, late.stderr).toBe(true);
    cluster.start();
    await late.ready(30_000);
    for (const w of workers) if (w !== late) await w.kill('SIGTERM');
    await until('the API to be ready again', async () => (await request(api.base, 'GET', '/health/ready').catch(() => null))?.status === 200, 20_000);
    const id = await report();
    await finished([id], 20_000);
    expect(whoRan(id)).toBe(late);
  }, 60_000);
});
