import type { Logger } from '../core/logger.js';
import type { WorkerHost } from './host.js';
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
  return {
    async stop() {
      scheduler?.stop();
      sweeper?.stop();
    },
  };
}
