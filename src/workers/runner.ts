import { jobsRepository, type JobRow } from '../repositories/jobs.repository.js';
import { JOB_REGISTRY, PermanentJobError, type JobRegistry, type WorkerDeps } from './jobs.js';

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
export function createJobRunner(deps: WorkerDeps, registry: JobRegistry = JOB_REGISTRY) {
  const { db, clock, logger } = deps;
  const scope = (tenantId: string) => ({ tenantId });

  async function runJob(jobId: string, tenantId: string, attempt = 1): Promise<RunOutcome> {
    const job: JobRow | undefined = await db.scoped(scope(tenantId), (tx) => jobsRepository.start(tx, tenantId, jobId, clock.now()));
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
    const ctx = {
      deps,
      job,
      attempt: effectiveAttempt,
      async progress(percent: number) {
        const p = Math.max(0, Math.min(99, Math.floor(percent)));
        if (p === lastWritten || Date.now() - lastAt < 200) return;
        lastWritten = p;
        lastAt = Date.now();
        await db.scoped(scope(tenantId), (tx) => jobsRepository.progress(tx, tenantId, jobId, p, clock.now()));
      },
      async checkpoint(result: unknown) {
        await db.scoped(scope(tenantId), (tx) => jobsRepository.checkpoint(tx, tenantId, jobId, result, clock.now()));
      },
    };

    try {
      const def = registry[job.type];
      if (!def) throw new PermanentJobError(`Unknown job type ${job.type}`);
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success || parsed.data.tenantId !== tenantId) throw new PermanentJobError('The job payload is not valid');
      const result = await def.run(ctx, parsed.data);
      await db.scoped(scope(tenantId), (tx) => jobsRepository.succeed(tx, tenantId, jobId, result ?? null, clock.now()));
      log.info({ ms: Date.now() - started }, 'job succeeded');
      return { status: 'succeeded' };
    } catch (err) {
      const error = message(err);
      const permanent = err instanceof PermanentJobError;
      if (permanent || effectiveAttempt >= MAX_ATTEMPTS) {
        const text = permanent ? error : `Failed after ${effectiveAttempt} attempts: ${error}`;
        await db.scoped(scope(tenantId), (tx) => jobsRepository.fail(tx, tenantId, jobId, text, clock.now()));
        log.warn({ err: error, ms: Date.now() - started }, 'job failed');
        return { status: 'failed', reason: permanent ? 'permanent' : 'exhausted', error: text };
      }
      await db.scoped(scope(tenantId), (tx) => jobsRepository.requeue(tx, tenantId, jobId, error, clock.now()));
      log.warn({ err: error }, 'job attempt failed; it will be retried');
      return { status: 'retry', error };
    }
  }

  return { runJob };
}
export type JobRunner = ReturnType<typeof createJobRunner>;
