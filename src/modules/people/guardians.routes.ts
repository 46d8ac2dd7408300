import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Guardian, GuardianCreate, GuardianPatch } from './guardians.schemas.js';
import { ArchivedListQuery, defineRoute, IdParam, includeArchived, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { guardianVisible } from '../../api/routes/visibility.js';

export function registerGuardiansRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/guardians',
      permission: 'centre:read',
      summary: 'Guardians (a guardian sees only their own record)',
      request: { query: ArchivedListQuery },
      responses: { 200: jsonResponse(page(Guardian), 'Guardians') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await c.get('container').centre.guardians.list(tenantCtx(c), { ...q, includeArchived: includeArchived(q.includeArchived) }), 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/guardians',
      permission: 'centre:write',
      summary: 'Create a guardian (an email matching a guardian member makes this that member’s record)',
      request: jsonBody(GuardianCreate),
      responses: { 201: jsonResponse(Guardian, 'Created') },
    }),
    async (c) => {
      const g = await c.get('container').centre.guardians.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(g.version));
      return c.json(g, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/guardians/{id}', permission: 'centre:read', summary: 'One guardian', request: { params: IdParam }, responses: { 200: jsonResponse(Guardian, 'The guardian') } }),
    async (c) => {
      const g = await c.get('container').centre.guardians.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(g.version));
      return c.json(g, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/guardians/{id}',
      permission: 'centre:write',
      visible: guardianVisible,
      summary: 'Change a guardian',
      request: { params: IdParam, ...jsonBody(GuardianPatch) },
      responses: { 200: jsonResponse(Guardian, 'Updated') },
    }),
    async (c) => {
      const g = await c.get('container').centre.guardians.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(g.version));
      return c.json(g, 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'delete', path: '/guardians/{id}', permission: 'centre:write', visible: guardianVisible, summary: 'Archive a guardian', request: { params: IdParam }, responses: { 204: { description: 'Archived' } } }),
    async (c) => {
      await c.get('container').centre.guardians.archive(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
