import type { DeliveryOutcome, JobMessage, Queue } from '../adapters/queue/queue.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { telemetry } from '../core/telemetry.js';
import { JOB_REGISTRY, type JobRegistry, type WorkerServices } from './jobs.js';
import { createJobRunner } from './runner.js';
import { SUBSCRIBERS, type Subscriber } from './subscribers.js';
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
  subscribers = SUBSCRIBERS,
}: {
  services: WorkerServices;
  queue: Pick<Queue, 'send'>;
  logger: Logger;
  clock: Clock;
  registry?: JobRegistry;
  subscribers?: Record<string, Subscriber[]>;
}) {
  const runner = createJobRunner({ services, logger }, registry);
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

  /**
   * Claims due outbox rows (SKIP LOCKED, with a lease), hands each to its subscribers that have not succeeded yet, and
   * marks it done; an event whose subscriber failed keeps the others' successes and comes back after a backoff. A
   * failing subscriber holds up neither the other subscribers of its event nor the other events.
   */
  async function drainOutbox(grace: number | null, batch = 50): Promise<number> {
    let total = 0;
    for (let round = 0; round < 100; round++) {
      const claimed = await services.outbox.claim(batch, OUTBOX_LEASE_SECONDS, grace);
      const done: number[] = [];
      for (const event of claimed) {
        const delivered = [...event.delivered];
        const errors: string[] = [];
        // A span per event when telemetry is on, linked to the request that recorded it.
        await telemetry.linked(`event ${event.name}`, { 'event.id': event.id, 'tenant.id': event.tenantId }, event.traceParent, async () => {
          for (const sub of subscribers[event.name] ?? []) {
            if (delivered.includes(sub.name)) continue;
            try {
              await sub.run(services, event);
              delivered.push(sub.name);
            } catch (err) {
              errors.push(`${sub.name}: ${message(err)}`);
            }
          }
        });
        if (errors.length) {
          logger.warn({ eventId: event.id, tenantId: event.tenantId, name: event.name, attempt: event.attempts, err: errors.join('; ') }, 'event subscriber failed; it will be retried');
          await services.outbox.retry(event, delivered, errors.join('; '));
        } else done.push(event.id);
      }
      await services.outbox.done(done);
      total += claimed.length;
      if (claimed.length < batch) break;
    }
    return total;
  }

  // One drain at a time per process; a kick while one runs makes it go round once more (nothing committed meanwhile
  // waits for the next poll).
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let wantAll = false;
  async function drainAll() {
    do {
      again = false;
      const grace = wantAll ? null : FOREIGN_GRACE_SECONDS;
      wantAll = false;
      await drainOutbox(grace);
      await services.notifications?.sendDue(50, grace);
    } while (again && !stopped);
  }
  /** `all`: every due row (a worker process); otherwise this process's own at once and others' after the grace. */
  function kick(all = false) {
    if (stopped) return;
    if (all) wantAll = true;
    if (running) {
      again = true;
      return;
    }
    running = new Promise<void>((r) => setImmediate(r))
      .then(drainAll)
      .catch((err) => logger.error({ err }, 'outbox drain failed'))
      .finally(() => {
        running = undefined;
      });
  }

  return {
    /**
     * The outbox drain and the due emails, now: `all` for a worker process (the Lambda schedule), otherwise what this
     * process recorded and what other processes left behind for longer than the grace (tests; the local poll).
     */
    async drain(opts: { all?: boolean } = {}) {
      const grace = opts.all ? null : FOREIGN_GRACE_SECONDS;
      const events = await drainOutbox(grace);
      const emails = (await services.notifications?.sendDue(50, grace)) ?? 0;
      return { events, emails };
    },
    /** After a commit that recorded events: drains soon in this process, coalescing kicks that come while it runs. */
    kick,
    /** Resolves when no drain is running (tests; shutdown). */
    async idle() {
      while (running) await running;
    },
    /** Shutdown: no new drains; waits for the running one. */
    async stop() {
      stopped = true;
      while (running) await running;
    },
    services,
    logger,
    runner,
    runJob: runner.runJob,

    /** The consumer of the in-process queue (the container wires it when the queue is in-process). */
    async consume(message: JobMessage, attempt: number): Promise<DeliveryOutcome> {
      const outcome = await runner.runJob(message.jobId, message.tenantId, attempt);
      kick();
      return outcome.status === 'retry' ? 'retry' : 'done';
    },

    /** Runs one scheduled task for every centre (EventBridge on Lambda, croner locally, tests directly). */
    async runTask(task: ScheduledTask, now: Date = clock.now()) {
      try {
        return await runScheduledTask(services.tasks, logger, task, now);
      } finally {
        kick();
      }
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

/** How long a claimed outbox row stays claimed: a drain that died holding it lets it go after this. */
export const OUTBOX_LEASE_SECONDS = 60;
/** A process drains what other processes recorded only once it has been due this long (outbox.repository.ts). */
export const FOREIGN_GRACE_SECONDS = 60;
