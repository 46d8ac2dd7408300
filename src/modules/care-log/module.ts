/** What the edges register of the care log (read by the manifest, src/modules/index.ts). */
import { registerCareEntriesRoutes } from './care-entries.routes.js';

export const routes = { careEntries: registerCareEntriesRoutes };
