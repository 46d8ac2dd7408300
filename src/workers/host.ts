import type { DeliveryOutcome, JobMessage, Queue } from '../adapters/queue/queue.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { JOB_REGISTRY, type JobRegistry, type WorkerServices } from './jobs.js';
import { createJobRunner } from './runner.js';
import { runScheduledTask, type ScheduledTask } from './schedules/index.js';

/**
 * The worker host: background work's edge, as src/api/app.ts is HTTP's. Built by the container and handed the
 * services (never repositories): the runner turns a queue message into a job handler call, the handler calls service
 * methods; scheduled tasks run through the tasks service. Hosted by src/workers/runtime.ts (local process: in-process
 * queue consumer + croner) and src/entrypoints/lambda-worker.ts (SQS batches, EventBridge Scheduler events).
 */
export function createWorkerHost({
  services,
  queue,
  logger,
  clock,
  registry = JOB_REGISTRY,
}: {
  services: WorkerServices;
  queue: Pick<Queue, 'send'>;
  logger: Logger;
  clock: Clock;
  registry?: JobRegistry;
}) {
  const runner = createJobRunner({ services, logger }, registry);
  return {
    services,
    logger,
    runner,
    runJob: runner.runJob,

    /** The consumer of the in-process queue (the container wires it when the queue is in-process). */
    async consume(message: JobMessage, attempt: number): Promise<DeliveryOutcome> {
      return (await runner.runJob(message.jobId, message.tenantId, attempt)).status === 'retry' ? 'retry' : 'done';
    },

    /** Runs one scheduled task for every centre (EventBridge on Lambda, croner locally, tests directly). */
    runTask(task: ScheduledTask, now: Date = clock.now()) {
      return runScheduledTask(services.tasks, logger, task, now);
    },

    /**
     * Sends again every running job whose lease ran out (its run died: a killed or crashed worker), so another run
     * takes it over within seconds instead of waiting for the queue's timeout. Run periodically by every worker.
     */
    async sweepLost() {
      const lost = await services.jobs.runs.expired();
      for (const m of lost) await queue.send(m);
      if (lost.length) logger.warn({ jobs: lost.length }, 'jobs whose run died sent again');
      return lost.length;
    },

    /** In-process queue start-up: sends again every job a stopped process left queued or running. */
    async recover() {
      const open = await services.jobs.runs.unfinished();
      for (const m of open) await queue.send(m);
      return open.length;
    },
  };
}
export type WorkerHost = ReturnType<typeof createWorkerHost>;
