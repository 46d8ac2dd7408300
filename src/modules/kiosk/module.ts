/** What the edges register of the kiosk (read by the manifest, src/modules/index.ts). */
import { registerKioskRoutes } from './kiosks.routes.js';

export const routes = { kiosks: registerKioskRoutes };
