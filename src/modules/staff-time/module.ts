/** What the edges register of staff time (read by the manifest, src/modules/index.ts). */
import { registerShiftsRoutes } from './shifts.routes.js';

export const routes = { shifts: registerShiftsRoutes };
/** Who is clocked in where: the manifest hands it to attendance's scheduled tasks. */
export { shiftsOnDuty } from './shifts-on-duty.js';
