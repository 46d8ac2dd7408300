/** What the edges register of incidents (read by the manifest, src/modules/index.ts). */
import { remindIncidents } from './incident-reminders.task.js';
import { registerIncidentsRoutes } from './incidents.routes.js';

export const routes = { incidents: registerIncidentsRoutes };
/** The reminder task, given messages' way to post to a child's audience (the manifest binds it). */
export const tasks = { reminders: remindIncidents };
