/** What the edges register of notifications (read by the manifest, src/modules/index.ts). */
import { registerNotificationsRoutes } from './notifications.routes.js';

export const routes = { notifications: registerNotificationsRoutes };
/** The schema of its section of GET/PATCH /tenant (the container wires the section: tenancy's settingsSection). */
export { NotificationSettings, NotificationSettingsPatch } from './notifications.schemas.js';
