/**
 * Imports and reports: the jobs API through which a CSV import or a report is requested and followed, the jobs' own
 * records (claims, leases, progress), and the attendance report. The import's domain work is people's (students),
 * fenced by the job run through `JobFence`.
 */
export { createJobsService, type JobsService, type JobRecord } from './jobs.service.js';
export { createJobFence, type JobFence } from './job-fence.js';
export { createReportsService, type ReportsService } from './reports.service.js';
