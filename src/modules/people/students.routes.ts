import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { defineRoute, IdParam, includeArchived, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { studentVisible } from '../../api/routes/visibility.js';
import { Link, LinkBody, LinkParams, Student, StudentCreate, StudentGuardian, StudentListQuery, StudentPatch } from './students.schemas.js';

export function registerStudentsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/students',
      permission: 'centre:read',
      summary: 'Children (a guardian sees only their own); archived ones only with includeArchived=true',
      request: { query: StudentListQuery },
      responses: { 200: jsonResponse(page(Student), 'Children') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await c.get('container').centre.students.list(tenantCtx(c), { ...q, includeArchived: includeArchived(q.includeArchived) }), 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/students', permission: 'centre:write', summary: 'Enrol a child', request: jsonBody(StudentCreate), responses: { 201: jsonResponse(Student, 'Created') } }),
    async (c) => {
      const s = await c.get('container').centre.students.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(s.version));
      return c.json(s, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/students/{id}', permission: 'centre:read', summary: 'One child (archived ones too)', request: { params: IdParam }, responses: { 200: jsonResponse(Student, 'The child') } }),
    async (c) => {
      const s = await c.get('container').centre.students.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(s.version));
      return c.json(s, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/students/{id}',
      permission: 'centre:write',
      visible: studentVisible,
      summary: 'Change a child’s record',
      request: { params: IdParam, ...jsonBody(StudentPatch) },
      responses: { 200: jsonResponse(Student, 'Updated') },
    }),
    async (c) => {
      const s = await c.get('container').centre.students.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(s.version));
      return c.json(s, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/students/{id}',
      permission: 'centre:write',
      visible: studentVisible,
      summary: 'Archive a child (the record and attendance are kept)',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await c.get('container').centre.students.archive(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/students/{id}/guardians',
      permission: 'centre:read',
      summary: 'A child’s guardians with relationship and pickup authorization',
      request: { params: IdParam },
      responses: { 200: jsonResponse(page(StudentGuardian), 'Guardians of the child') },
    }),
    async (c) => c.json(await c.get('container').centre.students.listGuardians(tenantCtx(c), c.req.valid('param').id), 200),
  );

  app.openapi(
    defineRoute({
      method: 'put',
      path: '/students/{id}/guardians/{guardianId}',
      permission: 'centre:write',
      visible: studentVisible,
      summary: 'Link a guardian to a child, or change the link',
      request: { params: LinkParams, ...jsonBody(LinkBody) },
      responses: { 200: jsonResponse(Link, 'Updated'), 201: jsonResponse(Link, 'Linked') },
    }),
    async (c) => {
      const { id, guardianId } = c.req.valid('param');
      const { link, created } = await c.get('container').centre.students.linkGuardian(tenantCtx(c), id, guardianId, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(link.version));
      return created ? c.json(link, 201) : c.json(link, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/students/{id}/guardians/{guardianId}',
      permission: 'centre:write',
      visible: studentVisible,
      summary: 'Unlink a guardian from a child',
      request: { params: LinkParams },
      responses: { 204: { description: 'Unlinked' } },
    }),
    async (c) => {
      const { id, guardianId } = c.req.valid('param');
      await c.get('container').centre.students.unlinkGuardian(tenantCtx(c), id, guardianId, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
