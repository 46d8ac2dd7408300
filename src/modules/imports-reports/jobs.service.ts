import type { TenantContext } from '../../core/context.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { auditActor } from '../../db/audit.repository.js';
import { forTenant, systemWide, type Tx } from '../../db/db.js';
import { jobsRepository, type JobRow } from './jobs.repository.js';
import { reportsRepository } from './reports.repository.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import type { FilesService } from '../files/index.js';
import { checkRange, MAX_REPORT_DAYS } from '../../kernel/helpers.js';
import { events, type EventName } from '../../kernel/events.js';
import { JOB_PAYLOADS, type JobName, type JobPayload } from '../../kernel/job-payloads.js';

export const jobDto = (j: JobRow) => ({
  id: j.id,
  type: j.type,
  status: j.status,
  progress: j.progress,
  ...(j.status === 'succeeded' && j.result != null ? { result: j.result as Record<string, unknown> } : {}),
  ...(j.status === 'failed' && j.error ? { error: j.error } : {}),
  createdAt: j.createdAt.toISOString(),
  updatedAt: j.updatedAt.toISOString(),
  version: j.version,
});

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'queue' | 'logger'> & {
  files: Pick<FilesService, 'confirmUploaded'>;
  config?: { jobs: { leaseSeconds: number } };
  /** Called after a commit that recorded events: the container wires it to the worker host's outbox drain. */
  onRecorded?: () => void;
};

/** What claiming a job for a run gives: the job and the run's fencing token, `busy` (a live run holds it), or undefined. */
export type JobClaim = { job: JobRow; token: number } | 'busy' | undefined;

/**
 * Jobs (reports, imports): a job is a row first; the queue message goes out only after that transaction commits, so a
 * worker never sees a message for a row it cannot read. This service writes job rows and sends messages; it never
 * runs a job (the worker host in src/workers/ does, calling services).
 */
export function createJobsService({ db, clock, queue, logger, files, config, onRecorded = () => undefined }: Deps) {
  const leaseSeconds = config?.jobs.leaseSeconds ?? 30;
  /** Writes the job row and its `job.<type>.requested` event; the payload is checked against the job name. */
  async function enqueue<N extends JobName>(ctx: TenantContext, type: N, input: JobPayload<N>, check?: (tx: Tx) => Promise<void>) {
    const job = await db.scoped(forTenant(ctx), async (tx) => {
      await check?.(tx);
      // The type checks the payload at compile time; the schema makes sure at run time (after the checks: a bad id is 404).
      const payload = JOB_PAYLOADS[type].parse(input) as Record<string, unknown>;
      const row = await jobsRepository.insert(tx, { id: newId(), tenantId: ctx.tenantId, type, payload, createdByMembershipId: ctx.membershipId });
      // The event is the durable promise to send the queue message: its subscriber (`dispatch`, below) sends it after
      // the commit, so a process that dies between the commit and the send cannot leave the job queued forever.
      const name: EventName = `job.${type}.requested`;
      await events.record(tx, { ...auditActor(ctx), tenantId: ctx.tenantId }, name, { jobId: row.id, type, payload }, { type: 'job', id: row.id });
      return row;
    });
    // After the commit (inside an Idempotency-Key's unit of work, when the request is done): drain the outbox now.
    await db.afterCommit(() => onRecorded());
    return { jobId: job.id };
  }

  return {
    /** For the capabilities that start their own jobs (billing runs): the same row-then-message enqueue. */
    enqueue,

    async startReport(ctx: TenantContext, input: { type: 'attendance'; from: string; to: string; roomId?: string }) {
      checkRange(input.from, input.to, MAX_REPORT_DAYS);
      const payload = { tenantId: ctx.tenantId, from: input.from, to: input.to, ...(input.roomId ? { roomId: input.roomId.toLowerCase() } : {}), createdByMembershipId: ctx.membershipId };
      return enqueue(ctx, 'report.attendance', payload, async (tx) => {
        if (input.roomId && (!isUuid(input.roomId) || !(await reportsRepository.roomExists(tx, ctx.tenantId, input.roomId)))) throw notFound('Room');
      });
    },

    async startImport(ctx: TenantContext, input: { type: 'students'; fileId: string; dryRun?: boolean }) {
      // Checks the object is really there (HeadObject) and matches what was presigned; throws 422 otherwise — after
      // the purpose (a photo is never settled as an import).
      const file = await files.confirmUploaded({ tenantId: ctx.tenantId }, input.fileId, (f) => {
        if (f.purpose !== 'import') throw unprocessable('The file was not uploaded for an import', [{ path: 'fileId', message: 'presign it with purpose "import"' }]);
      });
      return enqueue(ctx, 'import.students', { tenantId: ctx.tenantId, fileId: file.id, dryRun: input.dryRun ?? false, createdByMembershipId: ctx.membershipId });
    },

    /** The creator reads their job; owners read every job of the centre. Anything else is not found. */
    async getJob(ctx: TenantContext, id: string) {
      if (!isUuid(id)) throw notFound('Job');
      const job = await db.scoped(forTenant(ctx), (tx) => jobsRepository.get(tx, ctx.tenantId, id));
      if (!job || (job.createdByMembershipId !== ctx.membershipId && !ctx.roles.includes('owner'))) throw notFound('Job');
      return jobDto(job);
    },

    /**
     * The subscriber of `job.<type>.requested` (src/workers/subscribers.ts): sends `{jobId, tenantId}` while the job is
     * still queued. Run at least once by the outbox; a job already running or finished is not sent again.
     */
    async dispatch(tenantId: string, jobId: string) {
      const job = await db.scoped(forTenant(tenantId), (tx) => jobsRepository.get(tx, tenantId, jobId));
      if (!job || job.status !== 'queued') return false;
      try {
        await queue.send({ jobId, tenantId });
      } catch (err) {
        logger.warn({ jobId, tenantId, err }, 'could not send a job to the queue; the outbox will try again');
        throw err;
      }
      return true;
    },

    /** The job row's life as the worker host runs it (queued → running → succeeded | failed). */
    runs: {
      /** The lease a run holds and renews (its heartbeat runs at a third of it). */
      leaseSeconds,
      /**
       * Claims the job for one run (running, attempts + 1, a new fencing token, a lease): undefined when it is finished
       * or unknown, `busy` while another run holds a live lease (a second delivery, or a run that outlived the queue's
       * timeout). A lease that ran out is taken over.
       */
      async start(tenantId: string, jobId: string): Promise<JobClaim> {
        return db.scoped(forTenant(tenantId), async (tx) => {
          const job = await jobsRepository.claim(tx, tenantId, jobId, leaseSeconds, clock.now());
          if (job) return { job, token: job.leaseToken };
          return (await jobsRepository.get(tx, tenantId, jobId))?.status === 'running' ? 'busy' : undefined;
        });
      },
      /** The heartbeat: false once another run took the job over (this one must stop writing). */
      renew: (tenantId: string, jobId: string, token: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.renew(tx, tenantId, jobId, token, leaseSeconds)),
      progress: (tenantId: string, jobId: string, percent: number, token?: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.progress(tx, tenantId, jobId, percent, clock.now(), token)),
      checkpoint: (tenantId: string, jobId: string, result: unknown, token?: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.checkpoint(tx, tenantId, jobId, result, clock.now(), token)),
      succeed: (tenantId: string, jobId: string, result: unknown, token?: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.succeed(tx, tenantId, jobId, result, clock.now(), token)),
      fail: (tenantId: string, jobId: string, error: string, token?: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.fail(tx, tenantId, jobId, error, clock.now(), token)),
      requeue: (tenantId: string, jobId: string, error: string, token?: number) =>
        db.scoped(forTenant(tenantId), (tx) => jobsRepository.requeue(tx, tenantId, jobId, error, clock.now(), token)),
      /** Running jobs whose lease ran out (their worker died), centre by centre: to be sent again and taken over. */
      async expired() {
        const tenants = await db.scoped(systemWide(), (tx) => tenantsRepository.directory(tx));
        const out: { jobId: string; tenantId: string }[] = [];
        for (const t of tenants) {
          const lost = await db.scoped(forTenant(t.id), (tx) => jobsRepository.expiredLeases(tx, t.id));
          for (const j of lost) out.push({ jobId: j.id, tenantId: t.id });
        }
        return out;
      },
      /** Every job a stopped process left queued or running, centre by centre. */
      async unfinished() {
        const tenants = await db.scoped(systemWide(), (tx) => tenantsRepository.directory(tx));
        const out: { jobId: string; tenantId: string }[] = [];
        for (const t of tenants) {
          const open = await db.scoped(forTenant(t.id), (tx) => jobsRepository.unfinished(tx, t.id));
          for (const j of open) out.push({ jobId: j.id, tenantId: t.id });
        }
        return out;
      },
    },
  };
}
export type JobsService = ReturnType<typeof createJobsService>;
/** A job row as the worker host sees it. */
export type JobRecord = JobRow;
