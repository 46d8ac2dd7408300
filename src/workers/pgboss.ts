import type { DeliveryOutcome, JobMessage, Queue } from '../adapters/queue/queue.js';
import type { PgBossQueue } from '../adapters/queue/pgboss-queue.js';
import type { Logger } from '../core/logger.js';
import type { WorkerHost } from './host.js';
import { SCHEDULES } from './schedules/scheduler.js';
import type { ScheduledTask } from './schedules/index.js';
import { startSweeper } from './sweeper.js';

/**
 * The self-hosted worker (`npm run worker`, JOBS_QUEUE=pgboss): consumes jobs through the same worker host as the
 * in-process queue and the SQS Lambda (same runner, same idempotent handlers), and runs the schedules — once per tick
 * across every worker process — when SCHEDULER_ENABLED.
 */
export async function startPgBossWorker(
  { workers, queue, logger, config }: {
    workers: Pick<WorkerHost, 'runJob' | 'runTask' | 'sweepLost' | 'kick'>;
    queue: Queue;
    logger: Logger;
    config: { schedulerEnabled: boolean; jobs: { workerConcurrency: number; leaseSeconds: number } };
  },
  { schedules = SCHEDULES, outboxPollMs = 1000, ...opts }: { pollingIntervalSeconds?: number; schedules?: Record<string, string>; outboxPollMs?: number } = {},
) {
  if (queue.kind !== 'pgboss') throw new Error('npm run worker needs JOBS_QUEUE=pgboss (with DATABASE_URL)');
  const boss = queue as PgBossQueue;
  // As on SQS: a failed attempt comes back; the last one fails in pg-boss too, so its copy lands in the dead-letter queue.
  // `busy` (another run holds a live lease) and `superseded` (this run lost it) are done here: the run holding the job
  // finishes it, and if it dies the sweeper below sends the job again once its lease runs out.
  const consume = async (message: JobMessage, attempt: number): Promise<DeliveryOutcome> => {
    const outcome = await workers.runJob(message.jobId, message.tenantId, attempt);
    return outcome.status === 'retry' || (outcome.status === 'failed' && outcome.reason === 'exhausted') ? 'retry' : 'done';
  };
  await boss.consume(consume, { concurrency: config.jobs.workerConcurrency, ...opts });
  if (config.schedulerEnabled) await boss.schedule(schedules, (task) => workers.runTask(task as ScheduledTask), opts);
  const sweeper = startSweeper(workers, logger, config.jobs.leaseSeconds);
  // The outbox (job sends, emails): the API processes kick a drain after their commits; the workers poll, so what a
  // killed API process committed but never sent is sent from here (issue 20 point 3). Several workers: SKIP LOCKED.
  workers.kick(true);
  const poll = setInterval(() => workers.kick(true), outboxPollMs);
  poll.unref();
  logger.info({ concurrency: config.jobs.workerConcurrency, schedules: config.schedulerEnabled }, 'worker consuming jobs from pg-boss');
  return {
    /** Stops fetching and waits (bounded) for running jobs; one still running is taken over elsewhere once its lease runs out. */
    stop: (timeoutMs: number) => {
      sweeper.stop();
      clearInterval(poll);
      return boss.close(timeoutMs);
    },
  };
}
