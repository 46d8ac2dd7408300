import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { CareEntry, CareEntryBatch, CareEntryCreate, CareEntryPatch, dailyReportSchema, DayQuery, RoomCareEntryCreate, type EmbeddedAttendanceSchemas } from './care-entries.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { careEntryVisible, roomVisible, studentVisible } from '../../api/routes/visibility.js';

/** The care log's routes, given the attendance schemas the daily report embeds (the manifest binds them once). */
export const careEntriesRoutes = (attendance: EmbeddedAttendanceSchemas) => {
  const DailyReport = dailyReportSchema(attendance);
  return (app: OpenAPIHono<AppEnv>) => registerCareEntriesRoutes(app, DailyReport);
};

function registerCareEntriesRoutes(app: OpenAPIHono<AppEnv>, DailyReport: ReturnType<typeof dailyReportSchema>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/students/{id}/care-entries',
      permission: 'day:write',
      visible: studentVisible,
      summary: 'Log a care entry for a child (details by type; at most 5 minutes ahead)',
      request: { params: IdParam, ...jsonBody(CareEntryCreate) },
      responses: { 201: jsonResponse(CareEntry, 'Logged') },
    }),
    async (c) => {
      const r = await c.get('container').careEntries.create(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/students/{id}/care-entries',
      permission: 'day:read',
      summary: 'A child’s care log for a day, by time (a guardian sees the entries visible to guardians)',
      request: { params: IdParam, query: DayQuery },
      responses: { 200: jsonResponse(page(CareEntry), 'Entries ordered by `at` (the whole day, one page)') },
    }),
    async (c) => c.json(await c.get('container').careEntries.listForStudent(tenantCtx(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/students/{id}/daily-report',
      permission: 'day:read',
      summary: 'A child’s day: stays, absence, care entries and their summary',
      request: { params: IdParam, query: DayQuery },
      responses: { 200: jsonResponse(DailyReport, 'The daily report') },
    }),
    async (c) => c.json(await c.get('container').careEntries.dailyReport(tenantCtx(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/rooms/{id}/care-entries',
      permission: 'day:write',
      visible: roomVisible,
      summary: 'One entry for each child named, or for every child present in the room (one statement, audited once)',
      request: { params: IdParam, ...jsonBody(RoomCareEntryCreate) },
      responses: { 201: jsonResponse(CareEntryBatch, 'Logged') },
    }),
    async (c) => c.json(await c.get('container').careEntries.createForRoom(tenantCtx(c), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/care-entries/{id}',
      permission: 'day:read',
      summary: 'One care entry (a staff-only entry is not found for a guardian)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(CareEntry, 'The entry') },
    }),
    async (c) => {
      const r = await c.get('container').careEntries.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/care-entries/{id}',
      permission: 'day:write',
      visible: careEntryVisible,
      summary: 'Change a care entry (e.g. end a nap)',
      request: { params: IdParam, ...jsonBody(CareEntryPatch) },
      responses: { 200: jsonResponse(CareEntry, 'Changed') },
    }),
    async (c) => {
      const r = await c.get('container').careEntries.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/care-entries/{id}',
      permission: 'day:write',
      visible: careEntryVisible,
      summary: 'Delete a care entry',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await c.get('container').careEntries.remove(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
