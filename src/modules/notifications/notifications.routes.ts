import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import type { NotificationType } from '../../kernel/notify-port.js';
import { DeliveriesQuery, Delivery, Notification, NotificationsQuery, Preferences, PreferencesPut } from './notifications.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';

/** The member's notifications and email preferences, and the centre's delivery log (CONTRACT "Notifications"). */
export function registerNotificationsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/notifications',
      permission: 'notifications:own',
      summary: "The caller's own notifications, newest first",
      request: { query: NotificationsQuery },
      responses: { 200: jsonResponse(page(Notification), 'Notifications') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await c.get('container').notifications.list(tenantCtx(c), { ...q, unread: q.unread === 'true' }) as never, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/notifications/{id}/read',
      permission: 'notifications:own',
      visible: NO_OWN_READ,
      summary: 'Mark one of the caller’s notifications read (another member’s → 404)',
      request: { params: IdParam },
      responses: { 204: { description: 'Marked read' } },
    }),
    async (c) => {
      await c.get('container').notifications.markRead(tenantCtx(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/notifications/read-all',
      permission: 'notifications:own',
      summary: 'Mark all the caller’s notifications read',
      responses: { 204: { description: 'Marked read' } },
    }),
    async (c) => {
      await c.get('container').notifications.readAll(tenantCtx(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/me/notification-preferences',
      permission: 'notifications:own',
      summary: 'Email on or off, per type the caller can receive',
      responses: { 200: jsonResponse(Preferences, 'Preferences') },
    }),
    async (c) => c.json(await c.get('container').notifications.preferences(tenantCtx(c)), 200),
  );

  app.openapi(
    defineRoute({
      method: 'put',
      path: '/me/notification-preferences',
      permission: 'notifications:own',
      summary: 'Change email preferences (types not named keep their setting; a mandatory type cannot be turned off: 422)',
      request: jsonBody(PreferencesPut),
      responses: { 200: jsonResponse(Preferences, 'Preferences') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await c.get('container').notifications.setPreferences(tenantCtx(c), body.items as { type: NotificationType; email: boolean }[]), 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/notification-deliveries',
      permission: 'notifications:deliveries',
      summary: 'The centre’s email deliveries, newest first, with masked recipients (owners and admins)',
      request: { query: DeliveriesQuery },
      responses: { 200: jsonResponse(page(Delivery), 'Deliveries') },
    }),
    async (c) => c.json(await c.get('container').notifications.deliveries(tenantCtx(c), c.req.valid('query')) as never, 200),
  );
}
