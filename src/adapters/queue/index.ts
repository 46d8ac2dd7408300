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
  if (config.sqs) return lazySqs(config.sqs);
  // Under tests retries come back within milliseconds, so a failing job settles quickly.
  const backoffMs = config.env === 'test' ? (attempt: number) => 20 * 2 ** (attempt - 1) : undefined;
  return new MemoryQueue({ backoffMs });
}
export type { Queue };
export { MemoryQueue };

/**
 * The SQS driver (the AWS SDK's SQS client) is imported and its client built on the first message sent, not when the
 * container is built: most requests never enqueue a job. Closing a queue that never sent has nothing to close.
 */
function lazySqs(opts: NonNullable<Config['sqs']>): Queue {
  let pending: Promise<Queue> | undefined;
  const driver = () =>
    (pending ??= import('./sqs-queue.js').then(
      ({ SqsQueue }) => new SqsQueue(opts),
      (err) => {
        pending = undefined;
        throw err;
      },
    ));
  return {
    kind: 'sqs',
    send: async (message, o) => (await driver()).send(message, o),
    close: async () => {
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}
