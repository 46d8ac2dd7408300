/** What the edges register of incidents (read by the manifest, src/modules/index.ts). */
import { remindIncidents } from './incident-reminders.task.js';
import { registerIncidentsRoutes } from './incidents.routes.js';

export const routes = { incidents: registerIncidentsRoutes };
export const tasks = { reminders: remindIncidents };
