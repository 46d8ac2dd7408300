// The notification seam: services/notifications/port.ts (one definition; this module keeps its own import path).
export type { NotificationType, NotifyRequest, Notify } from '../../kernel/notify-port.js';
