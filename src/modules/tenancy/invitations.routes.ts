import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { ctxOf } from '../../api/middleware/session.js';
import { Invitation, InvitationAccepted } from './invitations.schemas.js';
import { defineRoute, IdParam, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';

export function registerInvitationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/invitations',
      permission: 'authenticated',
      summary: 'Invitations waiting for the signed-in email',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(page(Invitation), 'Pending invitations') },
    }),
    async (c) => c.json(await c.get('container').invitations.list(ctxOf(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/invitations/{id}/accept',
      permission: 'authenticated',
      summary: 'Accept an invitation: its membership becomes active (the session stays where it is; POST /auth/switch goes there)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(InvitationAccepted, 'Accepted') },
    }),
    async (c) => {
      const m = await c.get('container').invitations.accept(ctxOf(c), c.req.valid('param').id);
      return c.json({ membership: m }, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/invitations/{id}/decline',
      permission: 'authenticated',
      summary: 'Decline an invitation: it is removed',
      request: { params: IdParam },
      responses: { 204: { description: 'Declined' } },
    }),
    async (c) => {
      await c.get('container').invitations.decline(ctxOf(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
