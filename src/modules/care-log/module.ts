/** What the edges register of the care log (read by the manifest, src/modules/index.ts). */
import { careEntriesRoutes } from './care-entries.routes.js';

/** Its routes, given attendance's schemas that the daily report embeds (the manifest binds them). */
export const routes = { careEntries: careEntriesRoutes };
