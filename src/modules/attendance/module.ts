/** What the edges register of attendance (read by the manifest, src/modules/index.ts). */
import { Absence } from './absences.schemas.js';
import { registerAbsencesRoutes } from './absences.routes.js';
import { registerAttendanceRoutes } from './attendance.routes.js';
import { remindTenant } from './reminders.task.js';
import { rollupTenant } from './rollup.task.js';
import { AttendanceRecord } from './attendance.schemas.js';

export const routes = { attendance: registerAttendanceRoutes, absences: registerAbsencesRoutes };
/** The scheduled tasks, given staff time's shifts on duty (the manifest binds them). */
export const tasks = { rollup: rollupTenant, reminders: remindTenant };
/** The response schemas other capabilities embed (the care log's daily report; the manifest hands them in). */
export const schemas = { AttendanceRecord, Absence };
