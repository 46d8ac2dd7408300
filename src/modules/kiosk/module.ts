/** What the edges register of the kiosk (read by the manifest, src/modules/index.ts). */
import { kioskRoutes } from './kiosks.routes.js';

/** Its routes, given attendance's schema that the check-in/out answers embed (the manifest binds it). */
export const routes = { kiosks: kioskRoutes };
