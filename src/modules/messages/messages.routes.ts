import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Message, MessageBody } from './messages.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';

export function registerMessagesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/messages',
      permission: 'messages:send',
      summary: 'Send a message about a child, to a room, or to the whole centre (needs the messaging entitlement)',
      request: jsonBody(MessageBody),
      responses: { 201: jsonResponse(Message, 'Sent') },
    }),
    async (c) => {
      const m = await c.get('container').messages.send(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(m.version));
      return c.json(m, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/messages',
      permission: 'messages:read',
      summary: 'Messages the caller may read, newest first, with their read flag',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(page(Message), 'Messages') },
    }),
    async (c) => c.json(await c.get('container').messages.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/messages/{id}/read',
      permission: 'messages:read',
      visible: NO_OWN_READ,
      summary: 'Mark a message read (idempotent)',
      request: { params: IdParam },
      responses: { 204: { description: 'Marked read' } },
    }),
    async (c) => {
      await c.get('container').messages.markRead(tenantCtx(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
