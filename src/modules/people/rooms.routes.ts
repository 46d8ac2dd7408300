import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { ArchivedListQuery, defineRoute, IdParam, includeArchived, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { roomVisible } from '../../api/routes/visibility.js';
import { Room, RoomCreate, RoomPatch, Roster } from './rooms.schemas.js';

export function registerRoomsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/rooms',
      permission: 'centre:read',
      summary: 'Rooms (a guardian sees their children’s rooms)',
      request: { query: ArchivedListQuery },
      responses: { 200: jsonResponse(page(Room), 'Rooms') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await c.get('container').centre.rooms.list(tenantCtx(c), { ...q, includeArchived: includeArchived(q.includeArchived) }), 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/rooms', permission: 'centre:write', summary: 'Create a room', request: jsonBody(RoomCreate), responses: { 201: jsonResponse(Room, 'Created') } }),
    async (c) => {
      const room = await c.get('container').centre.rooms.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(room.version));
      return c.json(room, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/rooms/{id}', permission: 'centre:read', summary: 'One room', request: { params: IdParam }, responses: { 200: jsonResponse(Room, 'The room') } }),
    async (c) => {
      const room = await c.get('container').centre.rooms.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(room.version));
      return c.json(room, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/rooms/{id}',
      permission: 'centre:write',
      visible: roomVisible,
      summary: 'Change a room',
      request: { params: IdParam, ...jsonBody(RoomPatch) },
      responses: { 200: jsonResponse(Room, 'Updated') },
    }),
    async (c) => {
      const room = await c.get('container').centre.rooms.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(room.version));
      return c.json(room, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/rooms/{id}',
      permission: 'centre:write',
      visible: roomVisible,
      summary: 'Archive a room (kept with its history; lists hide it)',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await c.get('container').centre.rooms.archive(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  // The roster is read from attendance (the attendance service answers it); the route lives with its resource, the room.
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/rooms/{id}/roster',
      permission: 'attendance:read',
      summary: 'Children present in the room now, staff on duty and the ratio check',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Roster, 'The roster') },
    }),
    async (c) => c.json(await c.get('container').attendance.roster(tenantCtx(c), c.req.valid('param').id), 200),
  );
}
