import type { Logger } from '../core/logger.js';
import { telemetry, type DescribeJob } from '../core/telemetry.js';
import { LeaseLostError } from '../kernel/job-payloads.js';
import { JOB_REGISTRY, PermanentJobError, type JobContext, type JobRegistry, type WorkerServices } from './jobs.js';

/** Deliveries of one job before it is marked failed (SQS: the redrive policy's maxReceiveCount is the same 5). */
export const MAX_ATTEMPTS = 5;

export type RunOutcome =
  /** Finished now, or already finished earlier (a redelivery): acknowledge the message. */
  | { status: 'succeeded' | 'skipped' }
  /**
   * Another run holds the job under a live lease (a second delivery): nothing was done. pg-boss and the local queue
   * drop the message (their sweepers send the job again if that run dies); SQS delivers it again later.
   */
  | { status: 'busy' }
  /** This run lost its lease midway (another run took the job over): it stopped and wrote nothing more. */
  | { status: 'superseded' }
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

  /**
   * One span per delivery (its database spans beneath it) when telemetry is on, named after the job type and linked
   * to the request that enqueued the job (the trace context stored in its row).
   */
  function runJob(jobId: string, tenantId: string, attempt = 1): Promise<RunOutcome> {
    return telemetry.job({ 'job.id': jobId, 'tenant.id': tenantId, 'job.attempt': attempt }, (describe) => deliver(jobId, tenantId, attempt, describe));
  }

  async function deliver(jobId: string, tenantId: string, attempt: number, describe: DescribeJob): Promise<RunOutcome> {
    const claim = await runs.start(tenantId, jobId);
    if (claim === 'busy') {
      logger.info({ jobId, tenantId }, 'job is running elsewhere under a live lease; delivery ignored');
      return { status: 'busy' };
    }
    if (!claim) {
      logger.info({ jobId, tenantId }, 'job already finished or unknown; delivery ignored');
      return { status: 'skipped' };
    }
    const { job, token } = claim;
    describe(job.type, job.traceParent);
    const effectiveAttempt = Math.max(attempt, job.attempts);
    const log = logger.child({ jobId, tenantId, type: job.type, attempt: effectiveAttempt });
    const started = Date.now();
    log.info({ token }, 'job started');

    // The heartbeat: renews the lease at a third of its length; once another run has taken over, this one is fenced
    // out (every write it still tries checks the token) and stops at its next write.
    let lost = false;
    const heartbeat = setInterval(() => {
      runs.renew(tenantId, jobId, token).then(
        (held) => {
          if (!held && !lost) {
            lost = true;
            log.warn('job lease lost: another run took the job over');
          }
        },
        (err) => log.warn({ err }, 'could not renew the job lease'),
      );
    }, Math.max(500, (runs.leaseSeconds * 1000) / 3));
    heartbeat.unref();
    const fence = () => {
      if (lost) throw new LeaseLostError();
    };

    let lastWritten = -1;
    let lastAt = 0;
    const ctx: JobContext = {
      services,
      logger: log,
      job,
      attempt: effectiveAttempt,
      actor: { tenantId, membershipId: job.createdByMembershipId, jobId, runToken: token },
      async progress(percent: number) {
        fence();
        const p = Math.max(0, Math.min(99, Math.floor(percent)));
        if (p === lastWritten || Date.now() - lastAt < 200) return;
        lastWritten = p;
        lastAt = Date.now();
        await runs.progress(tenantId, jobId, p, token);
      },
      async checkpoint(result: unknown) {
        fence();
        if (!(await runs.checkpoint(tenantId, jobId, result, token))) throw new LeaseLostError();
      },
    };

    const superseded = (): RunOutcome => {
      log.warn({ ms: Date.now() - started }, 'job run superseded by another run; it stopped');
      return { status: 'superseded' };
    };
    try {
      const def = registry[job.type];
      if (!def) throw new PermanentJobError(`Unknown job type ${job.type}`);
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success || parsed.data.tenantId !== tenantId) throw new PermanentJobError('The job payload is not valid');
      const result = await def.run(ctx, parsed.data);
      if (!(await runs.succeed(tenantId, jobId, result ?? null, token))) return superseded();
      log.info({ ms: Date.now() - started }, 'job succeeded');
      telemetry.recordJob(job.type, 'succeeded', Date.now() - started);
      return { status: 'succeeded' };
    } catch (err) {
      if (err instanceof LeaseLostError) return superseded();
      const error = message(err);
      const permanent = err instanceof PermanentJobError;
      if (permanent || effectiveAttempt >= MAX_ATTEMPTS) {
        const text = permanent ? error : `Failed after ${effectiveAttempt} attempts: ${error}`;
        if (!(await runs.fail(tenantId, jobId, text, token))) return superseded();
        log.warn({ err, ms: Date.now() - started }, 'job failed');
        telemetry.recordJob(job.type, 'failed', Date.now() - started);
        return { status: 'failed', reason: permanent ? 'permanent' : 'exhausted', error: text };
      }
      if (!(await runs.requeue(tenantId, jobId, error, token))) return superseded();
      log.warn({ err }, 'job attempt failed; it will be retried');
      telemetry.recordJob(job.type, 'retry', Date.now() - started);
      return { status: 'retry', error };
    } finally {
      clearInterval(heartbeat);
    }
  }

  return { runJob };
}
export type JobRunner = ReturnType<typeof createJobRunner>;
