import { JOB_PAYLOADS } from '../../kernel/job-payloads.js';
import { defineJob, type JobContext } from '../../workers/job-types.js';

/**
 * Students import (the work is the students service's `importFile`): batches commit with the job's resume point, so a
 * retry resumes after them; matching makes a second run of the same file create no duplicates.
 */
export const studentsImportJob = defineJob({
  type: 'import.students',
  payload: JOB_PAYLOADS['import.students'],
  run: (ctx: JobContext, p) =>
    ctx.services.students.importFile({ ...ctx.actor, membershipId: p.createdByMembershipId }, p, { previous: ctx.job.result, progress: (percent) => ctx.progress(percent) }),
});
