import { str } from '../../core/strings.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { isCalendarDate } from '../../core/time.js';
import { etag, parseIfMatch } from '../etag.js';
import type { AppEnv } from '../env.js';
import { tenantCtx } from '../middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page, Timestamps, CalendarDate } from './registry.js';

const uuid = str().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const instant = z.iso.datetime({ offset: true }).openapi({ example: '2026-03-09T08:15:00Z', description: 'ISO 8601 instant; defaults to now' });
const note = str().trim().max(1000);

const AttendanceRecord = z
  .object({
    ...Timestamps,
    studentId: str(),
    roomId: str().nullable(),
    date: str().openapi({ description: 'The local date of the check-in in the centre’s time zone', example: '2026-03-09' }),
    checkInAt: str(),
    checkOutAt: str().nullable(),
    checkedInByMembershipId: str().nullable(),
    checkedOutByMembershipId: str().nullable(),
    droppedOffByGuardianId: str().nullable(),
    pickedUpByGuardianId: str().nullable(),
    note: str().nullable(),
  })
  .openapi('AttendanceRecord');




const Rollup = z
  .object({
    roomId: str(),
    date: str(),
    childrenPresent: z.number().int(),
    totalMinutes: z.number().int(),
    peakCount: z.number().int(),
    ratioBreaches: z.number().int().openapi({ description: 'Check-ins after which the room held more children than its staff may look after' }),
  })
  .openapi('AttendanceRollup');

export function registerAttendanceRoutes(app: OpenAPIHono<AppEnv>) {
  // Before the routes with `{id}`: a reader finds the whole /attendance family here.
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/attendance/rollups',
      permission: 'rollups:read',
      summary: 'Daily figures per room (computed hourly for days that have ended)',
      request: {
        query: z.object({
          from: CalendarDate.optional().openapi({ description: 'Default: 30 days before `to`' }),
          to: CalendarDate.optional().openapi({ description: 'Default: 30 days after `from`, or today' }),
          roomId: str().max(100).optional(),
        }),
      },
      responses: { 200: jsonResponse(z.object({ items: z.array(Rollup), nextCursor: str().nullable() }), 'Rollups ordered by date, then room') },
    }),
    async (c) => c.json(await c.get('container').attendance.listRollups(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/attendance/check-in',
      permission: 'attendance:write',
      summary: 'Check a child in (one open record per child; the record’s date is the centre’s local date)',
      request: jsonBody(z.object({ studentId: str().max(100), at: instant.optional(), note: note.optional(), droppedOffByGuardianId: str().max(100).optional() })),
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
      request: jsonBody(z.object({ studentId: str().max(100), at: instant.optional(), pickedUpByGuardianId: str().max(100).optional() })),
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
      method: 'get',
      path: '/attendance',
      permission: 'attendance:read',
      summary: 'Attendance records (a guardian sees only their own children’s)',
      request: {
        query: ListQuery.extend({
          date: str().refine(isCalendarDate, 'must be a real date YYYY-MM-DD').optional(),
          roomId: uuid.optional(),
          studentId: uuid.optional(),
        }),
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
      summary: 'Correct a record (audited with the reason)',
      request: {
        params: IdParam,
        ...jsonBody(
          z
            .object({ checkInAt: instant.optional(), checkOutAt: instant.optional(), note: note.nullable().optional(), reason: str().trim().min(1, 'is required').max(500) })
            .strict()
            .refine((b) => b.checkInAt !== undefined || b.checkOutAt !== undefined || b.note !== undefined, { message: 'change at least one of checkInAt, checkOutAt, note' }),
        ),
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
