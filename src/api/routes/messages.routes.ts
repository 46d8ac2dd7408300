import { str } from '../../core/strings.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { etag } from '../etag.js';
import type { AppEnv } from '../env.js';
import { tenantCtx } from '../middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page, Timestamps } from './registry.js';
import { AUDIENCE_TYPES } from '../../models/enums.js';

const Audience = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('student'), id: str().max(100).openapi({ description: 'The student id' }) }).strict(),
    z.object({ type: z.literal('room'), id: str().max(100).openapi({ description: 'The room id' }) }).strict(),
    // `id` is optional in the contract's shape; for the whole centre it must be absent or null.
    z.object({ type: z.literal('tenant'), id: z.null().optional() }).strict(),
  ])
  .openapi('MessageAudience', { description: 'A child, a room, or the whole centre (staff only)' });

const Message = z
  .object({
    ...Timestamps,
    audience: z.object({ type: z.enum(AUDIENCE_TYPES).openapi({ description: 'room_staff: system reminders for a room’s staff' }), id: str().nullable() }),
    body: str(),
    authorMembershipId: str(),
    read: z.boolean().openapi({ description: 'Whether the caller has marked it read' }),
  })
  .openapi('Message');

export function registerMessagesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/messages',
      permission: 'messages:send',
      summary: 'Send a message about a child, to a room, or to the whole centre (needs the messaging entitlement)',
      request: jsonBody(z.object({ audience: Audience, body: str().trim().min(1, 'is required').max(5000) })),
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
