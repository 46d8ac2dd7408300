import { JOB_PAYLOADS } from '../../kernel/job-payloads.js';
import { defineJob, type JobContext } from '../../workers/job-types.js';

/**
 * Attendance report (the CSV is written by the reports service). Idempotent: once the file is made, the job's
 * checkpoint points at it and a retry returns it instead of writing another.
 */
export const attendanceReportJob = defineJob({
  type: 'report.attendance',
  payload: JOB_PAYLOADS['report.attendance'],
  async run(ctx: JobContext, p) {
    const previous = ctx.job.result as { fileId?: string; rows?: number } | null;
    if (previous?.fileId) return previous;
    const result = await ctx.services.reports.attendanceCsv({ ...ctx.actor, membershipId: p.createdByMembershipId }, p, (percent) => ctx.progress(percent));
    await ctx.checkpoint(result);
    return result;
  },
});
