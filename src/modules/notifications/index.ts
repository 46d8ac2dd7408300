/** Notifications: in-app rows, email deliveries and their sending, preferences, the daily digest. The Notify seam other capabilities call is src/kernel/notify-port.ts. */
export { createNotify } from './notify.js';
export { createNotificationsService, type NotificationsService } from './notifications.service.js';
/** For the demo seed (src/seed.ts): who sees a child. */
export { notificationsRepository } from './notifications.repository.js';
