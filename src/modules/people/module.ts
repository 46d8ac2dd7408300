/** What the edges register of people (read by the manifest, src/modules/index.ts). */
import { registerCentreRoutes } from './centre.routes.js';
import { studentsImportJob } from './students-import.job.js';

export const routes = { centre: registerCentreRoutes };
export const jobs = { 'import.students': studentsImportJob } as const;
