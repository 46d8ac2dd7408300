import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse } from '../../api/routes/registry.js';
import { staffVisible } from '../../api/routes/visibility.js';
import { ClockIn, ClockOut, Shift, StaffMove, TimecardQuery, Timecards } from './shifts.schemas.js';

/** Staff time (CONTRACT §5): who is working, where. Owners and admins act on anyone; a teacher on their own record. */
export function registerShiftsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/staff/{id}/clock-in',
      permission: 'shifts:write',
      visible: staffVisible,
      summary: 'Clock a member of staff in to a room (one open shift each)',
      request: { params: IdParam, ...jsonBody(ClockIn) },
      responses: { 201: jsonResponse(Shift, 'Clocked in') },
    }),
    async (c) => {
      const s = await c.get('container').shifts.clockIn(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'));
      c.header('ETag', etag(s.version));
      return c.json(s, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/staff/{id}/move',
      permission: 'shifts:write',
      visible: staffVisible,
      summary: 'Move a member of staff to another room (the open shift closes as the new one opens)',
      request: { params: IdParam, ...jsonBody(StaffMove) },
      responses: { 201: jsonResponse(Shift, 'The new shift') },
    }),
    async (c) => {
      const s = await c.get('container').shifts.move(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'));
      c.header('ETag', etag(s.version));
      return c.json(s, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/staff/{id}/clock-out',
      permission: 'shifts:write',
      visible: staffVisible,
      summary: 'Clock a member of staff out',
      request: { params: IdParam, ...jsonBody(ClockOut) },
      responses: { 200: jsonResponse(Shift, 'The ended shift') },
    }),
    async (c) => {
      const s = await c.get('container').shifts.clockOut(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'));
      c.header('ETag', etag(s.version));
      return c.json(s, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/timecards',
      permission: 'timecards:read',
      summary: 'Minutes of ended shifts per staff member and local date (at most 31 days; a teacher sees their own)',
      request: { query: TimecardQuery },
      responses: { 200: jsonResponse(Timecards, 'Timecards ordered by date, then staff id') },
    }),
    async (c) => c.json(await c.get('container').shifts.timecards(tenantCtx(c), c.req.valid('query')), 200),
  );
}
