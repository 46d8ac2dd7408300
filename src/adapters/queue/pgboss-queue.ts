import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import PgBoss from 'pg-boss';
import type { DeliveryOutcome, JobMessage, Queue } from './queue.js';

/** pg-boss queue names (its own schema `pgboss` in the app's database; no app migration). */
export const PGBOSS_JOBS = 'daycare-jobs';
export const PGBOSS_DEAD = 'daycare-jobs-dead';
const taskQueue = (task: string) => `daycare-task-${task}`;

export interface PgBossQueueOptions {
  databaseUrl: string;
  /** Deliveries of one job in all (the runner's MAX_ATTEMPTS): pg-boss retries `maxAttempts - 1` times. */
  maxAttempts: number;
  /** A job still active after this long is taken for lost (its process died) and delivered again. */
  timeoutSeconds: number;
  /** First retry delay; the next ones double (pg-boss's retryBackoff). */
  retryDelaySeconds: number;
  /** How often a worker checks the schedules (any interval under TICK_WINDOW_SECONDS sees every tick). */
  clockSeconds?: number;
  /** Connections of pg-boss's own pool. */
  poolMax?: number;
  onError?: (err: Error) => void;
}

export type PgBossHandler = (message: JobMessage, attempt: number) => Promise<DeliveryOutcome>;

/**
 * Jobs on PostgreSQL for self-hosted deployments with several processes (`JOBS_QUEUE=pgboss`). API processes only send;
 * `npm run worker` processes (src/entrypoints/worker.ts) consume and run the schedules. A delivery is claimed with
 * `FOR UPDATE SKIP LOCKED`, so one job runs in one process at a time; a failed attempt comes back with an exponential
 * backoff; the last failure leaves the job `failed` in pg-boss with a copy in the dead-letter queue; a job whose worker
 * died is retried by another once its timeout passes (pg-boss's maintenance, itself run by one process at a time).
 */
export class PgBossQueue implements Queue {
  readonly kind = 'pgboss' as const;
  private readonly boss: PgBoss;
  private started: Promise<void> | undefined;
  private stopping = false;
  private stop!: () => void;
  /** Resolves when close() begins: wakes every consuming loop. */
  private readonly stopped = new Promise<void>((r) => (this.stop = r));
  private readonly loops: { loop: Promise<void>; running: Set<Promise<void>> }[] = [];
  private clock: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PgBossQueueOptions, role: 'sender' | 'worker' = 'sender') {
    const worker = role === 'worker';
    this.boss = new PgBoss({
      connectionString: opts.databaseUrl,
      application_name: `daycare-${role}`,
      max: opts.poolMax ?? (worker ? 4 : 2),
      // Only workers supervise (expire lost jobs, archive); an API process just inserts rows. pg-boss's own clock
      // (`boss.schedule`) is off: it dedupes a schedule per 60-second slot of the database clock through a relay queue,
      // not per tick, so the workers run their own clock below, whose job per tick has an id made of the tick.
      supervise: worker,
      schedule: false,
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(opts.timeoutSeconds / 2))),
    });
    // pg-boss emits plain objects (`{...error, message, stack, queue}`), not Errors: logged as Errors, they keep their message.
    this.boss.on('error', (err) => opts.onError?.(asError(err)));
  }

  /** Installs or upgrades pg-boss's schema (under its own advisory lock) and the queues; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const retry = { retryLimit: this.opts.maxAttempts - 1, retryDelay: this.opts.retryDelaySeconds, retryBackoff: true };
      await this.ensureQueue(PGBOSS_DEAD, { retentionDays: 14 });
      // 'short': while a job waits, sending it again (an enqueue retried) adds no second delivery.
      await this.ensureQueue(PGBOSS_JOBS, { ...retry, policy: 'short', expireInSeconds: this.opts.timeoutSeconds, deadLetter: PGBOSS_DEAD });
    })();
    return this.started;
  }

  /**
   * Creates the queue (a no-op when another process did) and applies the current settings. Two processes creating
   * queues at once can deadlock inside pg-boss (each attaches a partition to its job table): PostgreSQL aborts one,
   * which tries again.
   */
  private async ensureQueue(name: string, options: Omit<PgBoss.Queue, 'name'>) {
    const queue = { name, policy: 'standard' as const, ...options };
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, queue);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
      }
    }
    await this.boss.updateQueue(name, queue);
  }

  async send(message: JobMessage, opts: { delaySeconds?: number } = {}) {
    await this.start();
    const delay = Math.max(0, Math.round(opts.delaySeconds ?? 0));
    await this.boss.send(PGBOSS_JOBS, { jobId: message.jobId, tenantId: message.tenantId }, { singletonKey: message.jobId, ...(delay ? { startAfter: delay } : {}) });
  }

  /**
   * Consumes jobs: `retry` (or a throw) fails this attempt, so pg-boss delivers it again after the backoff — or, after
   * the last attempt, marks it failed and copies it to the dead-letter queue.
   */
  async consume(handler: PgBossHandler, { concurrency = 1, pollingIntervalSeconds = 2 } = {}) {
    await this.start();
    this.pump(PGBOSS_JOBS, concurrency, pollingIntervalSeconds, async (job) => {
      const outcome = await handler(job.data as JobMessage, job.retryCount + 1);
      if (outcome === 'retry') throw new AttemptFailed();
    });
  }

  /**
   * One process's loop over a queue, instead of pg-boss's `work()` (which polls once per interval whatever it found,
   * and completes or fails each job without awaiting it, so a database restart ended the process with an unhandled
   * rejection): fetches as many jobs as there are free slots out of `concurrency`, fetches again as soon as a slot
   * frees, sleeps `pollingIntervalSeconds` only when the queue is empty, and awaits every complete/fail — a failed
   * one is reported through onError (the job comes back after its timeout; the jobs row says it is done).
   */
  private pump(name: string, concurrency: number, pollingIntervalSeconds: number, run: (job: PgBoss.JobWithMetadata) => Promise<void>) {
    const running = new Set<Promise<void>>();
    const settle = async (job: PgBoss.JobWithMetadata) => {
      let failure: unknown;
      try {
        await run(job);
      } catch (err) {
        failure = err;
        // A delivery that could not even record its outcome (the database went away mid-job) is worth a log line.
        if (!(err instanceof AttemptFailed)) this.opts.onError?.(asError(err));
      }
      try {
        if (failure === undefined) await this.boss.complete(name, job.id);
        else await this.boss.fail(name, job.id, { message: failure instanceof Error ? failure.message : String(failure) });
      } catch (err) {
        this.opts.onError?.(asError(err));
      }
    };
    const loop = (async () => {
      while (!this.stopping) {
        const free = concurrency - running.size;
        let fetched = 0;
        if (free > 0) {
          let jobs: PgBoss.JobWithMetadata[] = [];
          try {
            jobs = (await this.boss.fetch(name, { batchSize: free, includeMetadata: true })) ?? [];
          } catch (err) {
            this.opts.onError?.(asError(err));
          }
          fetched = jobs.length;
          for (const job of jobs) {
            const p: Promise<void> = settle(job).finally(() => running.delete(p));
            running.add(p);
          }
        }
        if (this.stopping) break;
        if (running.size >= concurrency) await Promise.race([...running, this.stopped]);
        else if (fetched === 0) await Promise.race([sleep(pollingIntervalSeconds * 1000), this.stopped]);
      }
      await Promise.allSettled(running);
    })();
    this.loops.push({ loop, running });
  }

  /**
   * One run per tick across every worker process. Every worker checks the schedules every `clockSeconds` (30 by
   * default) and sends each tick of the last TICK_WINDOW_SECONDS to the task's own queue as a job whose id is derived
   * from (task, tick): pg-boss inserts with ON CONFLICT DO NOTHING on (queue, id), so however many workers send a tick,
   * and however their clocks differ, the tick is one job, claimed by one worker. A tick missed by longer than the window
   * (every worker down) is not caught up: the next one does the same idempotent work.
   */
  async schedule(schedules: Record<string, string>, run: (task: string) => Promise<unknown>, { pollingIntervalSeconds = 2 } = {}) {
    await this.start();
    const clocks: { task: string; name: string; cron: Cron }[] = [];
    for (const [task, pattern] of Object.entries(schedules)) {
      const name = taskQueue(task);
      // A missed tick is not worth a retry: the next one does the same (idempotent) work. 'singleton': never two runs
      // of one task at once, even when a run outlasts its tick (croner's `protect` locally).
      await this.ensureQueue(name, { retryLimit: 0, expireInSeconds: this.opts.timeoutSeconds, policy: 'singleton' });
      // A schedule row left by an earlier version (pg-boss's clock) would send runs of its own if that clock ran.
      await this.boss.unschedule(name);
      clocks.push({ task, name, cron: new Cron(pattern, { timezone: 'UTC', paused: true }) });
      this.pump(name, 1, pollingIntervalSeconds, async () => {
        await run(task);
      });
    }
    const check = async () => {
      const now = new Date();
      for (const c of clocks) {
        const [tick] = c.cron.previousRuns(1, now);
        if (!tick || now.getTime() - tick.getTime() > TICK_WINDOW_SECONDS * 1000) continue;
        try {
          await this.boss.send(c.name, { task: c.task, tick: tick.toISOString() }, { id: tickJobId(c.name, tick) });
        } catch (err) {
          this.opts.onError?.(asError(err));
        }
      }
    };
    let checking = false;
    const tick = () => {
      if (checking || this.stopping) return;
      checking = true;
      void check().finally(() => (checking = false));
    };
    tick();
    this.clock = setInterval(tick, (this.opts.clockSeconds ?? 30) * 1000);
  }

  /** Jobs waiting or being retried (queue depth), and active ones. */
  async depth() {
    await this.start();
    const [waiting, active] = await Promise.all([this.boss.getQueueSize(PGBOSS_JOBS), this.boss.getQueueSize(PGBOSS_JOBS, { before: 'completed' })]);
    return { waiting, active: Math.max(0, active - waiting) };
  }

  /**
   * Jobs due and not yet taken (waiting or waiting for a retry), how long the oldest has been due, and how many
   * connections worker processes hold (pg-boss names them `daycare-worker`): jobs waiting long with no worker
   * connection mean nobody is consuming them.
   */
  async backlog(): Promise<{ waiting: number; oldestSeconds: number; workerConnections: number }> {
    await this.start();
    const { rows } = await this.boss.getDb().executeSql(
      `select count(*)::int as waiting, coalesce(extract(epoch from now() - min(start_after)), 0)::float8 as "oldestSeconds",
              (select count(*)::int from pg_stat_activity where datname = current_database() and application_name = 'daycare-worker') as "workerConnections"
         from pgboss.job where name = $1 and state in ('created', 'retry') and start_after <= now()`,
      [PGBOSS_JOBS],
    );
    const r = rows[0] as { waiting: number; oldestSeconds: number; workerConnections: number };
    return { waiting: r.waiting, oldestSeconds: Math.max(0, Math.floor(r.oldestSeconds)), workerConnections: r.workerConnections };
  }

  /**
   * Stops fetching, waits up to `timeoutMs` for running jobs, closes the pool. A job still running then is left to
   * its lease: it runs out within JOBS_LEASE_SECONDS and another worker takes the job over.
   */
  async close(timeoutMs = 10_000) {
    if (!this.started) return;
    await this.started.catch(() => undefined);
    this.stopping = true;
    this.stop();
    clearInterval(this.clock);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.loops.map((l) => l.loop)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await this.boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, Math.min(timeoutMs, 5000)) });
  }
}

/** The runner recorded a failed attempt: pg-boss should deliver the job again after its backoff. */
class AttemptFailed extends Error {
  constructor() {
    super('job attempt failed');
  }
}

/** How late a tick may still be sent: a worker (re)started within it runs the tick it missed. */
export const TICK_WINDOW_SECONDS = 60;

/** The job id of one tick of one schedule: the same in every worker process (a UUID made of a hash of both). */
export function tickJobId(queue: string, tick: Date): string {
  const h = createHash('sha256').update(`${queue}@${tick.toISOString()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** pg-boss's error events (and anything thrown) as an Error with its message, code and cause kept. */
function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { message: string; code?: unknown; severity?: unknown };
    return Object.assign(new Error(e.message), { ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(typeof e.severity === 'string' ? { severity: e.severity } : {}) });
  }
  return new Error(String(err));
}
