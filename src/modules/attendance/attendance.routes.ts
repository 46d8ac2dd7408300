import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { AttendanceCorrection, AttendanceListQuery, AttendanceRecord, CheckInBody, CheckOutBody, MoveBody, RollupPage, RollupsQuery } from './attendance.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';

export function registerAttendanceRoutes(app: OpenAPIHono<AppEnv>) {
  // Before the routes with `{id}`: a reader finds the whole /attendance family here.
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/attendance/rollups',
      permission: 'rollups:read',
      summary: 'Daily figures per room (computed hourly for days that have ended)',
      request: {
        query: RollupsQuery,
      },
      responses: { 200: jsonResponse(RollupPage, 'Rollups ordered by date, then room') },
    }),
    async (c) => c.json(await c.get('container').attendance.listRollups(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/attendance/check-in',
      permission: 'attendance:write',
      summary: 'Check a child in (one open record per child; the record’s date is the centre’s local date)',
      request: jsonBody(CheckInBody),
      responses: { 201: jsonResponse(AttendanceRecord, 'Checked in') },
    }),
    async (c) => {
      const r = await c.get('container').attendance.checkIn(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/attendance/check-out',
      permission: 'attendance:write',
      summary: 'Check a child out; a named guardian must be an authorized pickup',
      request: jsonBody(CheckOutBody),
      responses: { 200: jsonResponse(AttendanceRecord, 'Checked out') },
    }),
    async (c) => {
      const r = await c.get('container').attendance.checkOut(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/attendance/move',
      permission: 'attendance:write',
      summary: 'Move a checked-in child to another room: the open stay closes with movedToRoomId and a stay opens in the new room at the same instant',
      request: jsonBody(MoveBody),
      responses: { 201: jsonResponse(AttendanceRecord, 'The new stay, in the new room') },
    }),
    async (c) => {
      const r = await c.get('container').attendance.move(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/attendance',
      permission: 'attendance:read',
      summary: 'Attendance records (a guardian sees only their own children’s)',
      request: {
        query: AttendanceListQuery,
      },
      responses: { 200: jsonResponse(page(AttendanceRecord), 'Records, oldest first') },
    }),
    async (c) => c.json(await c.get('container').attendance.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/attendance/{id}',
      permission: 'attendance:write',
      visible: NO_OWN_READ,
      summary: 'Correct a record (audited with the reason)',
      request: {
        params: IdParam,
        ...jsonBody(AttendanceCorrection),
      },
      responses: { 200: jsonResponse(AttendanceRecord, 'Corrected') },
    }),
    async (c) => {
      const r = await c.get('container').attendance.correct(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
}
