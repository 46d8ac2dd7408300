import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue, tickJobId } from '../../src/adapters/queue/pgboss-queue.js';
import { loadConfig } from '../../src/core/config.js';
import { newId } from '../../src/core/ids.js';
import { openDatabase } from '../../src/db/db.js';

/**
 * JOBS_QUEUE=pgboss with two worker processes on a database of this test's own (created on the server of
 * DATABASE_URL, 127.0.0.1 only, dropped after): every job runs exactly once, a worker killed mid-job has its job
 * retried by the other, retries back off and end in the dead-letter state, a schedule runs once per tick.
 */
const serverUrl = process.env.DATABASE_URL;
const local = !!serverUrl && ['127.0.0.1', 'localhost'].includes(new URL(serverUrl).hostname);

describe.skipIf(!local)('pg-boss queue with two worker processes', () => {
  const dbName = `daycare_pgboss_${process.pid}`;
  const url = (name: string) => {
    const u = new URL(serverUrl!);
    u.hostname = '127.0.0.1';
    u.pathname = `/${name}`;
    return u.toString();
  };
  const admin = () => new pg.Client({ connectionString: url('postgres') });
  let pool: pg.Pool;
  let sender: PgBossQueue;
  let tenantId: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'daycare-pgboss-'));
  const workers: { name: string; proc: ChildProcess; lines: Record<string, any>[] }[] = [];

  function startWorker(name: string) {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/pgboss-worker.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: url(dbName),
        JOBS_QUEUE: 'pgboss',
        JOBS_TIMEOUT_SECONDS: '4',
        JOBS_LEASE_SECONDS: '2',
        JOBS_RETRY_DELAY_SECONDS: '1',
        SCHEDULER_ENABLED: 'true',
        SESSION_SECRET: 'x'.repeat(48),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        WORKER_NAME: name,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = { name, proc, lines: [] as Record<string, any>[] };
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        try {
          w.lines.push({ ...JSON.parse(l), from: name });
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
    workers.push(w);
    return w;
  }

  const logs = (msg: string) => workers.flatMap((w) => w.lines.filter((l) => l.msg === msg));
  async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const jobRow = async (id: string) => (await pool.query('select status, attempts, error, result from jobs where id = $1', [id])).rows[0];

  async function enqueue(p: { firstAttemptMs: number; laterAttemptsMs: number; fail?: boolean }) {
    const id = newId();
    await pool.query(`insert into jobs (id, tenant_id, type, payload) values ($1, $2, 'test.sleep', $3)`, [id, tenantId, { tenantId, ...p }]);
    await sender.send({ jobId: id, tenantId });
    return id;
  }

  beforeAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.query(`create database ${dbName}`);
    await c.end();
    const db = await openDatabase({ databaseUrl: url(dbName), poolMax: 1 });
    await db.migrate();
    await db.close();
    pool = new pg.Pool({ connectionString: url(dbName), max: 2 });
    tenantId = newId();
    await pool.query(`insert into tenants (id, name, timezone) values ($1, 'pg-boss centre', 'UTC')`, [tenantId]);
    sender = new PgBossQueue({ databaseUrl: url(dbName), maxAttempts: 5, timeoutSeconds: 4, retryDelaySeconds: 1 });
    await sender.start();
    startWorker('w1');
    startWorker('w2');
    await until('both workers', () => logs('test worker ready').length === 2, 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await sender?.close(1000).catch(() => undefined);
    await pool?.end().catch(() => undefined);
    const c = admin();
    await c.connect();
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.end();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('runs each of 30 jobs exactly once across the two workers', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => enqueue({ firstAttemptMs: 30, laterAttemptsMs: 30 })));
    // A second send of a waiting job (an enqueue retried) adds no delivery.
    await sender.send({ jobId: ids[0]!, tenantId });
    await until('all 30 jobs', async () => (await pool.query(`select count(*)::int n from jobs where id = any($1) and status = 'succeeded'`, [ids])).rows[0].n === 30);
    const rows = (await pool.query('select attempts from jobs where id = any($1)', [ids])).rows;
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const started = logs('job started').filter((l) => ids.includes(l.jobId));
    expect(started).toHaveLength(30);
    expect(new Set(started.map((l) => l.jobId)).size).toBe(30);
    // Both processes took jobs.
    expect(new Set(started.map((l) => l.from)).size).toBe(2);
  }, 60_000);

  it('retries with backoff and leaves a job that always fails in the dead-letter state', async () => {
    const id = await enqueue({ firstAttemptMs: 0, laterAttemptsMs: 0, fail: true });
    await until('the job to fail', async () => (await jobRow(id))?.status === 'failed', 45_000);
    expect(await jobRow(id)).toMatchObject({ status: 'failed', attempts: 5, error: expect.stringContaining('Failed after 5 attempts') });
    const tries = logs('job started').filter((l) => l.jobId === id).map((l) => Date.parse(l.time)).sort((a, b) => a - b);
    expect(tries).toHaveLength(5);
    const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
    // retryDelay 1 s doubling (pg-boss adds jitter): the last gap is clearly longer than the first.
    expect(gaps[3]!).toBeGreaterThan(gaps[0]! + 1500);
    const dead = await until('the dead-letter copy', async () => (await pool.query(`select data from pgboss.job where name = 'daycare-jobs-dead'`)).rows.find((r) => r.data.jobId === id));
    expect(dead.data).toEqual({ jobId: id, tenantId });
    const original = (await pool.query(`select state from pgboss.job where name = 'daycare-jobs' and data->>'jobId' = $1`, [id])).rows;
    expect(original).toEqual([{ state: 'failed' }]);
  }, 60_000);

  // Each worker runs its own clock (every second here) and sends every tick it sees as a job whose id is made of the
  // tick: pg-boss keeps one row per (queue, id), so two workers sending the same tick (each once a second for the 60 s
  // the tick stays sendable: ~120 sends) make one job, run by one of them.
  it('runs a schedule once per tick across both workers', async () => {
    await until('a scheduled run', () => logs('scheduled task done').length > 0, 70_000);
    await new Promise((r) => setTimeout(r, 3000));
    const jobs = (await pool.query(`select id, data->>'tick' tick, state from pgboss.job where name = 'daycare-task-cleanup' order by 2`)).rows;
    expect(jobs.length).toBeGreaterThan(0);
    // One job per tick, with the id derived from the tick (the same in both processes), each tick on the minute.
    expect(new Set(jobs.map((j) => j.tick)).size).toBe(jobs.length);
    for (const j of jobs) {
      expect(j.tick).toMatch(/:00\.000Z$/);
      expect(j.id).toBe(tickJobId('daycare-task-cleanup', new Date(j.tick)));
    }
    // …and each of those runs ran in one process only.
    const done = (await pool.query(`select count(*)::int n from pgboss.job where name = 'daycare-task-cleanup' and state = 'completed'`)).rows[0].n;
    expect(logs('scheduled task done').length).toBe(done);
    // pg-boss's own clock is off: no relay jobs, no schedule rows.
    expect((await pool.query(`select count(*)::int n from pgboss.schedule`)).rows[0].n).toBe(0);
    expect((await pool.query(`select count(*)::int n from pgboss.job where name = '__pgboss__send-it'`)).rows[0].n).toBe(0);
  }, 80_000);

  it('a tick’s job id: the same for the same tick in any process, another for another tick or task', async () => {
    const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const id = tickJobId('daycare-task-cleanup', tick);
    expect(tickJobId('daycare-task-cleanup', new Date(tick.getTime()))).toBe(id);
    expect(tickJobId('daycare-task-cleanup', new Date(tick.getTime() + 60_000))).not.toBe(id);
    expect(tickJobId('daycare-task-attendance.rollup', tick)).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('a worker killed mid-job: the other runs the job again', async () => {
    const id = await enqueue({ firstAttemptMs: 60_000, laterAttemptsMs: 50 });
    const running = await until('the job to start', () => logs('test job running').find((l) => l.jobId === id));
    const victim = workers.find((w) => w.name === running.from)!;
    victim.proc.kill('SIGKILL');
    const row = await until('the job to succeed elsewhere', async () => ((await jobRow(id))?.status === 'succeeded' ? jobRow(id) : undefined), 40_000);
    expect(row.attempts).toBe(2);
    expect(row.result).toEqual({ worker: workers.find((w) => w !== victim)!.name });
  }, 60_000);
});

describe('JOBS_QUEUE configuration', () => {
  it('refuses pgboss without DATABASE_URL, and with SQS', () => {
    expect(() => loadConfig({ JOBS_QUEUE: 'pgboss' })).toThrow(/JOBS_QUEUE pgboss needs DATABASE_URL/);
    expect(() => loadConfig({ JOBS_QUEUE: 'pgboss', DATABASE_URL: 'postgres://h/db', JOBS_QUEUE_URL: 'https://sqs.example/q' })).toThrow(/JOBS_QUEUE pgboss cannot be combined/);
    expect(loadConfig({ JOBS_QUEUE: 'pgboss', DATABASE_URL: 'postgres://h/db' }).jobsQueue).toBe('pgboss');
    expect(loadConfig({}).jobsQueue).toBe('memory');
  });
});
