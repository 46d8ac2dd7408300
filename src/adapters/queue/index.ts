import type { Config } from '../../core/config.js';
import { MemoryQueue } from './memory-queue.js';
import type { Queue } from './queue.js';

/**
 * SQS when JOBS_QUEUE_URL is set, pg-boss with JOBS_QUEUE=pgboss (several self-hosted processes; the API only sends,
 * `npm run worker` consumes), else the in-process queue. The in-process queue runs jobs once its handler is wired
 * (the jobs service does it, so a plain container — tests included — runs jobs without the scheduler).
 */
export async function openQueue(config: Config, opts: { maxAttempts: number; role?: 'sender' | 'worker'; onError?: (err: Error) => void }): Promise<Queue> {
  if (config.jobsQueue === 'pgboss' && config.databaseUrl) {
    const { PgBossQueue } = await import('./pgboss-queue.js');
    const { timeoutSeconds, retryDelaySeconds } = config.jobs;
    const queue = new PgBossQueue({ databaseUrl: config.databaseUrl, maxAttempts: opts.maxAttempts, timeoutSeconds, retryDelaySeconds, onError: opts.onError }, opts.role);
    await queue.start();
    return queue;
  }
  if (config.sqs) {
    const { SqsQueue } = await import('./sqs-queue.js');
    return new SqsQueue(config.sqs);
  }
  // Under tests retries come back within milliseconds, so a failing job settles quickly.
  const backoffMs = config.env === 'test' ? (attempt: number) => 20 * 2 ** (attempt - 1) : undefined;
  return new MemoryQueue({ backoffMs });
}
export type { Queue };
export { MemoryQueue };
