import type { z } from 'zod';
import type { JobName } from '../services/job-payloads.js';
import { attendanceReportJob } from './handlers/attendance-report.job.js';
import { studentsImportJob } from './handlers/students-import.job.js';
import { billingRunJob } from './handlers/billing-run.job.js';
import type { JobDefinition } from './job-types.js';

export * from './job-types.js';

export type JobRegistry = Record<string, JobDefinition<z.ZodType<{ tenantId: string }>>>;

/** The handlers, one per job name of the typed payload map (services/job-payloads.ts): none missing, none extra. */
const HANDLERS: { [N in JobName]: JobDefinition<z.ZodType<{ tenantId: string }>, N> } = {
  'report.attendance': attendanceReportJob,
  'import.students': studentsImportJob,
  'billing.run': billingRunJob,
};
export const JOB_REGISTRY: JobRegistry = HANDLERS;
