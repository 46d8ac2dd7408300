import type { z } from 'zod';
import { attendanceReportJob } from './handlers/attendance-report.job.js';
import { studentsImportJob } from './handlers/students-import.job.js';
import type { JobDefinition } from './job-types.js';

export * from './job-types.js';

/** The typed registry: job type → payload schema (always with `tenantId`) + idempotent handler. */
export const JOB_REGISTRY: JobRegistry = {
  [attendanceReportJob.type]: attendanceReportJob,
  [studentsImportJob.type]: studentsImportJob,
};

export type JobRegistry = Record<string, JobDefinition<z.ZodType<{ tenantId: string }>>>;
export const JOB_TYPES = {
  attendanceReport: attendanceReportJob.type,
  studentsImport: studentsImportJob.type,
} as const;
export type AttendanceReportPayload = z.infer<typeof attendanceReportJob.payload>;
export type StudentsImportPayload = z.infer<typeof studentsImportJob.payload>;
