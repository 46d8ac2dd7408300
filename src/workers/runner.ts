import type { Logger } from '../core/logger.js';
import { telemetry } from '../core/telemetry.js';
import { JOB_REGISTRY, PermanentJobError, type JobContext, type JobRegistry, type WorkerServices } from './jobs.js';

/** Deliveries of one job before it is marked failed (SQS: the redrive policy's maxReceiveCount is the same 5). */
export const MAX_ATTEMPTS = 5;

export type RunOutcome =
  /** Finished now, or already finished earlier (a redelivery): acknowledge the message. */
  | { status: 'succeeded' | 'skipped' }
  /** Failed for good. `exhausted` = the last attempt failed (SQS keeps the message in the DLQ); `permanent` = no point retrying. */
  | { status: 'failed'; reason: 'exhausted' | 'permanent'; error: string }
  /** Failed this time; deliver again later. */
  | { status: 'retry'; error: string };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 1000);

/**
 * Runs one delivery of a job: marks it running (attempts + 1), runs its handler with a progress callback, and records
 * the outcome. Handlers are idempotent, so a redelivery after a crash is safe.
 */
export function createJobRunner({ services, logger }: { services: WorkerServices; logger: Logger }, registry: JobRegistry = JOB_REGISTRY) {
  const runs = services.jobs.runs;

  /** One span per delivery (its database spans beneath it) when telemetry is on. */
  function runJob(jobId: string, tenantId: string, attempt = 1): Promise<RunOutcome> {
    return telemetry.span('job', { 'job.id': jobId, 'tenant.id': tenantId, 'job.attempt': attempt }, () => deliver(jobId, tenantId, attempt));
  }

  async function deliver(jobId: string, tenantId: string, attempt: number): Promise<RunOutcome> {
    const job = await runs.start(tenantId, jobId);
    if (!job) {
      logger.info({ jobId, tenantId }, 'job already finished or unknown; delivery ignored');
      return { status: 'skipped' };
    }
    const effectiveAttempt = Math.max(attempt, job.attempts);
    const log = logger.child({ jobId, tenantId, type: job.type, attempt: effectiveAttempt });
    const started = Date.now();
    log.info('job started');

    let lastWritten = -1;
    let lastAt = 0;
    const ctx: JobContext = {
      services,
      logger: log,
      job,
      attempt: effectiveAttempt,
      actor: { tenantId, membershipId: job.createdByMembershipId, jobId },
      async progress(percent: number) {
        const p = Math.max(0, Math.min(99, Math.floor(percent)));
        if (p === lastWritten || Date.now() - lastAt < 200) return;
        lastWritten = p;
        lastAt = Date.now();
        await runs.progress(tenantId, jobId, p);
      },
      async checkpoint(result: unknown) {
        await runs.checkpoint(tenantId, jobId, result);
      },
    };

    try {
      const def = registry[job.type];
      if (!def) throw new PermanentJobError(`Unknown job type ${job.type}`);
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success || parsed.data.tenantId !== tenantId) throw new PermanentJobError('The job payload is not valid');
      const result = await def.run(ctx, parsed.data);
      await runs.succeed(tenantId, jobId, result ?? null);
      log.info({ ms: Date.now() - started }, 'job succeeded');
      telemetry.recordJob(job.type, 'succeeded', Date.now() - started);
      return { status: 'succeeded' };
    } catch (err) {
      const error = message(err);
      const permanent = err instanceof PermanentJobError;
      if (permanent || effectiveAttempt >= MAX_ATTEMPTS) {
        const text = permanent ? error : `Failed after ${effectiveAttempt} attempts: ${error}`;
        await runs.fail(tenantId, jobId, text);
        log.warn({ err: error, ms: Date.now() - started }, 'job failed');
        telemetry.recordJob(job.type, 'failed', Date.now() - started);
        return { status: 'failed', reason: permanent ? 'permanent' : 'exhausted', error: text };
      }
      await runs.requeue(tenantId, jobId, error);
      log.warn({ err: error }, 'job attempt failed; it will be retried');
      telemetry.recordJob(job.type, 'retry', Date.now() - started);
      return { status: 'retry', error };
    }
  }

  return { runJob };
}
export type JobRunner = ReturnType<typeof createJobRunner>;
