import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Absence, AbsenceCreate, AbsenceListQuery } from './absences.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';

export function registerAbsencesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/absences',
      permission: 'absences:report',
      summary: 'Mark a child absent for a day (a guardian: own children, today or later)',
      request: jsonBody(AbsenceCreate),
      responses: { 201: jsonResponse(Absence, 'Recorded') },
    }),
    async (c) => {
      const r = await c.get('container').absences.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/absences',
      permission: 'day:read',
      summary: 'Absences (a guardian sees their own children’s)',
      request: { query: AbsenceListQuery },
      responses: { 200: jsonResponse(page(Absence), 'Absences') },
    }),
    async (c) => c.json(await c.get('container').absences.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/absences/{id}',
      permission: 'absences:report',
      visible: NO_OWN_READ,
      summary: 'Withdraw an absence (staff: any; a guardian: one they reported)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' } },
    }),
    async (c) => {
      await c.get('container').absences.remove(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
