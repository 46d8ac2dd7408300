import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { TYPE_NAMES } from './types.js';
import { ListQuery } from '../../api/routes/registry.js';

/** Request and response schemas of the notifications routes (notifications.routes.ts). */

export const NotificationTypeEnum = z.enum(TYPE_NAMES as [string, ...string[]]).openapi('NotificationType');

export const Notification = z
  .object({
    id: str(),
    type: NotificationTypeEnum,
    title: str(),
    subject: z.object({ type: str(), id: str() }).openapi({ description: 'What the notification points at, e.g. {"type": "incident", "id"}' }),
    createdAt: str(),
    readAt: str().nullable(),
  })
  .openapi('Notification');

export const NotificationsQuery = ListQuery.extend({
  unread: z.enum(['true', 'false']).optional().openapi({ description: 'Only unread ones (true)' }),
});

export const Preferences = z
  .object({ items: z.array(z.object({ type: NotificationTypeEnum, email: z.boolean(), canTurnOff: z.boolean() })) })
  .openapi('NotificationPreferences');
export const PreferencesPut = z
  .object({ items: z.array(z.object({ type: NotificationTypeEnum, email: z.boolean() }).strict()).max(50) })
  .strict()
  .openapi('NotificationPreferencesUpdate');

export const Delivery = z
  .object({
    id: str(),
    type: NotificationTypeEnum,
    channel: z.enum(['email']),
    recipient: str().openapi({ description: 'Masked: the first character, ***, and the domain' }),
    status: z.enum(['pending', 'sent', 'failed', 'skipped']),
    attempts: z.number().int(),
    lastError: str().nullable(),
    sentAt: str().nullable(),
    createdAt: str(),
  })
  .openapi('NotificationDelivery');
export const DeliveriesQuery = ListQuery.extend({
  type: NotificationTypeEnum.optional(),
  status: z.enum(['pending', 'sent', 'failed', 'skipped']).optional(),
});

/** `PATCH /tenant {"notifications": {"digestAt"}}` and what GET /tenant shows. */
export const NotificationSettings = z
  .object({ digestAt: str().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (local time)') })
  .openapi('NotificationSettings');
export const NotificationSettingsPatch = NotificationSettings.partial().strict();
