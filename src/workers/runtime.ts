import type { Logger } from '../core/logger.js';
import type { WorkerHost } from './host.js';

/** How often a process that hosts the in-process worker looks for due outbox events and emails. */
export const OUTBOX_POLL_MS = 1000;
import { startScheduler } from './schedules/scheduler.js';
import { startSweeper } from './sweeper.js';

/**
 * Background work hosted by the local server process: re-sends the jobs a previous process left unfinished (in-process
 * queue only — on SQS and pg-boss the messages are still in the queue) and, when SCHEDULER_ENABLED, runs the scheduled
 * tasks — except with pg-boss, where the worker processes run them once per tick between them (src/workers/pgboss.ts).
 */
export async function startBackground(container: {
  workers: WorkerHost;
  logger: Logger;
  config: { schedulerEnabled: boolean; jobs?: { leaseSeconds: number } };
  queue: { kind: 'sqs' | 'memory' | 'pgboss' };
}): Promise<{ stop(): Promise<void> }> {
  const { workers, logger, config, queue } = container;
  const leaseSeconds = config.jobs?.leaseSeconds;
  if (queue.kind === 'memory') {
    const n = await workers.recover().catch((err) => {
      logger.error({ err }, 'could not recover unfinished jobs');
      return 0;
    });
    if (n) logger.info({ jobs: n }, 'unfinished jobs queued again');
  }
  const scheduler = config.schedulerEnabled && queue.kind !== 'pgboss' ? startScheduler((task) => workers.runTask(task), logger) : undefined;
  // The in-process queue has no other process to notice a run that died (a job recovered above while its old lease
  // still ran): lost jobs are swept here, as the pg-boss workers do (src/workers/pgboss.ts).
  const sweeper = queue.kind === 'memory' && leaseSeconds ? startSweeper(workers, logger, leaseSeconds) : undefined;
  // The outbox and the due emails: each commit kicks a drain; this poll catches what a killed process left behind and
  // emails whose time has come (a delayed message email, a retry). With pg-boss the worker processes poll instead.
  let poll: NodeJS.Timeout | undefined;
  if (queue.kind !== 'pgboss') {
    workers.kick();
    poll = setInterval(() => workers.kick(), OUTBOX_POLL_MS);
    poll.unref();
  }
  return {
    async stop() {
      scheduler?.stop();
      sweeper?.stop();
      if (poll) clearInterval(poll);
    },
  };
}
