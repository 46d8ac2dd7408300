/** What the edges register of notifications (read by the manifest, src/modules/index.ts). */
import { registerNotificationsRoutes } from './notifications.routes.js';

export const routes = { notifications: registerNotificationsRoutes };
