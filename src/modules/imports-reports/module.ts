/** What the edges register of imports and reports (read by the manifest, src/modules/index.ts). */
import { attendanceReportJob } from './attendance-report.job.js';
import { registerJobsRoutes } from './jobs.routes.js';

export const routes = { jobs: registerJobsRoutes };
export const jobs = { 'report.attendance': attendanceReportJob } as const;
