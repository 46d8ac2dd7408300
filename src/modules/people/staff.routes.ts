import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { defineRoute, IdParam, includeArchived, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { staffVisible } from '../../api/routes/visibility.js';
import { Staff, StaffCreate, StaffListQuery, StaffPatch } from './staff.schemas.js';

export function registerStaffRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/staff',
      permission: 'staff:read',
      summary: 'Staff (optionally those of one room)',
      request: { query: StaffListQuery },
      responses: { 200: jsonResponse(page(Staff), 'Staff') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await c.get('container').centre.staff.list(tenantCtx(c), { ...q, includeArchived: includeArchived(q.includeArchived) }), 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/staff', permission: 'centre:write', summary: 'Add a member of staff', request: jsonBody(StaffCreate), responses: { 201: jsonResponse(Staff, 'Created') } }),
    async (c) => {
      const s = await c.get('container').centre.staff.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(s.version));
      return c.json(s, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/staff/{id}', permission: 'staff:read', summary: 'One member of staff', request: { params: IdParam }, responses: { 200: jsonResponse(Staff, 'The member of staff') } }),
    async (c) => {
      const s = await c.get('container').centre.staff.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(s.version));
      return c.json(s, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/staff/{id}',
      permission: 'centre:write',
      visible: staffVisible,
      summary: 'Change a member of staff (roomIds replaces their rooms)',
      request: { params: IdParam, ...jsonBody(StaffPatch) },
      responses: { 200: jsonResponse(Staff, 'Updated') },
    }),
    async (c) => {
      const s = await c.get('container').centre.staff.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(s.version));
      return c.json(s, 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'delete', path: '/staff/{id}', permission: 'centre:write', visible: staffVisible, summary: 'Archive a member of staff', request: { params: IdParam }, responses: { 204: { description: 'Archived' } } }),
    async (c) => {
      await c.get('container').centre.staff.archive(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
