/** Notifications: in-app rows, email deliveries and their sending, preferences, the daily digest. The Notify seam other capabilities call is src/kernel/notify-port.ts. */
import { notificationsRepository } from './notifications.repository.js';

export { createNotify } from './notify.js';
export { createNotificationsService, type NotificationsService } from './notifications.service.js';
/** For the demo seed (src/seed.ts): who sees a child. */
export { notificationsRepository } from './notifications.repository.js';

/**
 * Who hears of a change, read in the caller's transaction: the container hands it to attendance and incidents (a
 * child's viewing guardians) and messages (a message's readers), each narrowing it with Pick<>.
 */
export const notificationAudience = {
  viewersOf: notificationsRepository.viewersOf,
  messageReaders: notificationsRepository.messageReaders,
};
export type NotificationAudience = typeof notificationAudience;
