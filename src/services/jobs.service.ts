import type { ServiceDeps } from '../container.js';
import type { TenantContext } from '../core/context.js';
import { AppError, notFound, unprocessable, validationError } from '../core/errors.js';
import { isUuid, newId } from '../core/ids.js';
import { addDays, isCalendarDate } from '../core/time.js';
import { MemoryQueue } from '../adapters/queue/memory-queue.js';
import { auditRepository } from '../repositories/audit.repository.js';
import { importsRepository } from '../repositories/imports.repository.js';
import { jobsRepository, type JobRow } from '../repositories/jobs.repository.js';
import { rollupsRepository, type RollupRow } from '../repositories/rollups.repository.js';
import { reportsRepository } from '../repositories/reports.repository.js';
import { tenantsRepository } from '../repositories/tenancy.repository.js';
import { JOB_TYPES, type ServerFiles, type WorkerDeps } from '../workers/jobs.js';
import { createJobRunner } from '../workers/runner.js';
import { runScheduledTask, type ScheduledTask } from '../workers/schedules/index.js';

export const MAX_REPORT_DAYS = 366;

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

export const rollupDto = (r: RollupRow) => ({
  roomId: r.roomId,
  date: r.date,
  childrenPresent: r.childrenPresent,
  totalMinutes: r.totalMinutes,
  peakCount: r.peakCount,
  ratioBreaches: r.ratioBreaches,
});

const days = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

function checkRange(from: string, to: string, max: number) {
  if (!isCalendarDate(from)) throw validationError('from must be a real date', [{ path: 'from', message: 'must be a real date (YYYY-MM-DD)' }]);
  if (!isCalendarDate(to)) throw validationError('to must be a real date', [{ path: 'to', message: 'must be a real date (YYYY-MM-DD)' }]);
  if (from > to) throw validationError('from must not be after to', [{ path: 'from', message: 'must not be after to' }]);
  if (days(from, to) > max) throw validationError(`The range is longer than ${max} days`, [{ path: 'to', message: `at most ${max} days after from` }]);
}

/**
 * Jobs (reports, imports) and scheduled tasks. A job is a row first; the queue message goes out only after that
 * transaction commits, so a worker never sees a message for a row it cannot read.
 */
export function createJobsService(deps: ServiceDeps & { files: unknown }) {
  const { db, clock, queue, logger } = deps;
  const workerDeps: WorkerDeps = { config: deps.config, logger, clock, db, storage: deps.storage, queue, files: deps.files as ServerFiles };
  const runner = createJobRunner(workerDeps);
  // The in-process queue runs jobs in this process (local server and tests); SQS messages go to the worker Lambda.
  if (queue instanceof MemoryQueue) {
    queue.setHandler(async (msg, attempt) => ((await runner.runJob(msg.jobId, msg.tenantId, attempt)).status === 'retry' ? 'retry' : 'done'));
  }
  const scope = (ctx: TenantContext) => ({ tenantId: ctx.tenantId, userId: ctx.userId });

  async function enqueue(ctx: TenantContext, type: string, payload: Record<string, unknown>, check?: (tx: Parameters<Parameters<typeof db.scoped>[1]>[0]) => Promise<void>) {
    const job = await db.scoped(scope(ctx), async (tx) => {
      await check?.(tx);
      const row = await jobsRepository.insert(tx, { id: newId(), tenantId: ctx.tenantId, type, payload, createdByMembershipId: ctx.membershipId });
      await auditRepository.append(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        actorMembershipId: ctx.membershipId,
        action: `job.${type}.requested`,
        targetType: 'job',
        targetId: row.id,
        after: { type, payload },
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        requestId: ctx.requestId,
      });
      return row;
    });
    // After the commit: a job must not start before its row is visible (inside an Idempotency-Key's unit of work the
    // commit comes only when the request is done; a failed send then marks the job failed, as here).
    await db.afterCommit(async () => {
      try {
        await queue.send({ jobId: job.id, tenantId: ctx.tenantId });
      } catch (err) {
        logger.error({ jobId: job.id, err: err instanceof Error ? err.message : String(err) }, 'could not enqueue a job');
        await db.scoped({ tenantId: ctx.tenantId }, (tx) => jobsRepository.fail(tx, ctx.tenantId, job.id, 'The job could not be queued', clock.now()));
        throw new AppError('NOT_READY', 'The job queue is not available; try again shortly');
      }
    });
    return { jobId: job.id };
  }

  return {
    runner,

    async startReport(ctx: TenantContext, input: { type: 'attendance'; from: string; to: string; roomId?: string }) {
      checkRange(input.from, input.to, MAX_REPORT_DAYS);
      const payload = { tenantId: ctx.tenantId, from: input.from, to: input.to, ...(input.roomId ? { roomId: input.roomId.toLowerCase() } : {}), createdByMembershipId: ctx.membershipId };
      return enqueue(ctx, JOB_TYPES.attendanceReport, payload, async (tx) => {
        if (input.roomId && (!isUuid(input.roomId) || !(await reportsRepository.roomExists(tx, ctx.tenantId, input.roomId)))) throw notFound('Room');
      });
    },

    async startImport(ctx: TenantContext, input: { type: 'students'; fileId: string; dryRun?: boolean }) {
      if (!isUuid(input.fileId)) throw notFound('File');
      const file = await db.scoped(scope(ctx), (tx) => importsRepository.file(tx, ctx.tenantId, input.fileId));
      if (!file) throw notFound('File');
      if (file.purpose !== 'import') throw unprocessable('The file was not uploaded for an import', [{ path: 'fileId', message: 'presign it with purpose "import"' }]);
      // Checks the object is really there (HeadObject) and matches what was presigned; throws 422 otherwise.
      await workerDeps.files.confirmUploaded({ tenantId: ctx.tenantId }, file.id);
      const payload = { tenantId: ctx.tenantId, fileId: file.id, dryRun: input.dryRun ?? false, createdByMembershipId: ctx.membershipId };
      return enqueue(ctx, JOB_TYPES.studentsImport, payload);
    },

    /** The creator reads their job; owners read every job of the centre. Anything else is not found. */
    async getJob(ctx: TenantContext, id: string) {
      if (!isUuid(id)) throw notFound('Job');
      const job = await db.scoped(scope(ctx), (tx) => jobsRepository.get(tx, ctx.tenantId, id));
      if (!job || (job.createdByMembershipId !== ctx.membershipId && !ctx.roles.includes('owner'))) throw notFound('Job');
      return jobDto(job);
    },

    async listRollups(ctx: TenantContext, q: { from?: string; to?: string; roomId?: string }) {
      const to = q.to ?? addDays(q.from ?? clock.now().toISOString().slice(0, 10), 30);
      const from = q.from ?? addDays(to, -30);
      checkRange(from, to, MAX_REPORT_DAYS);
      if (q.roomId && !isUuid(q.roomId)) return { items: [], nextCursor: null };
      const rows = await db.scoped(scope(ctx), (tx) => rollupsRepository.list(tx, ctx.tenantId, { from, to, roomId: q.roomId?.toLowerCase() }));
      return { items: rows.map(rollupDto), nextCursor: null };
    },

    /** Runs one scheduled task for every centre (EventBridge on Lambda, croner locally, tests directly). */
    runTask(task: ScheduledTask, now?: Date) {
      return runScheduledTask(workerDeps, task, now);
    },

    /** In-process queue start-up: sends again every job a stopped process left queued or running. */
    async recover() {
      const tenants = await db.scoped({ tenantId: null, system: true }, (tx) => tenantsRepository.directory(tx));
      let n = 0;
      for (const t of tenants) {
        const open = await db.scoped({ tenantId: t.id }, (tx) => jobsRepository.unfinished(tx, t.id));
        for (const j of open) await queue.send({ jobId: j.id, tenantId: t.id });
        n += open.length;
      }
      return n;
    },
  };
}
export type JobsService = ReturnType<typeof createJobsService>;
