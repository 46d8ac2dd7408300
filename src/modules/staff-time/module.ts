/** What the edges register of staff time (read by the manifest, src/modules/index.ts). */
import { registerShiftsRoutes } from './shifts.routes.js';

export const routes = { shifts: registerShiftsRoutes };
