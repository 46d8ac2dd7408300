import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { WaitlistItem, WaitlistQuery } from './applications.schemas.js';
import { defineRoute, jsonResponse, page } from '../../api/routes/registry.js';

export function registerWaitlistRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/waitlist',
      permission: 'enrolment:manage',
      summary: 'The waitlisted applications in order (tier, then rankAt, then id), for a room (or none named) and a start date',
      request: { query: WaitlistQuery },
      responses: { 200: jsonResponse(page(WaitlistItem), 'The waitlist') },
    }),
    async (c) => c.json(await c.get('container').enrolment.waitlist(tenantCtx(c), c.req.valid('query')), 200),
  );
}
