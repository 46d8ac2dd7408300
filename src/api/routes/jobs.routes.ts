import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { isCalendarDate } from '../../core/time.js';
import { etag } from '../../services/pagination.js';
import type { AppEnv } from '../env.js';
import { tenantCtx } from '../middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse } from './registry.js';
import { str } from '../../core/strings.js';

const date = str().refine(isCalendarDate, 'must be a real date (YYYY-MM-DD)').openapi({ format: 'date', example: '2025-01-31' });
const Accepted = z.object({ jobId: str() }).openapi('JobAccepted');

const ReportRequest = z
  .object({
    type: z.literal('attendance'),
    from: date,
    to: date,
    roomId: str().max(100).optional().openapi({ description: 'Only this room' }),
  })
  .strict()
  .openapi('ReportRequest', { description: 'An attendance CSV for [from, to] (at most 366 days), times in the centre’s time zone' });

const ImportRequest = z
  .object({
    type: z.literal('students'),
    fileId: str().max(100).openapi({ description: 'A CSV uploaded through POST /files/presign with purpose "import"' }),
    dryRun: z.boolean().optional().openapi({ description: 'Validate and count without writing' }),
  })
  .strict()
  .openapi('ImportRequest');

const Job = z
  .object({
    id: str(),
    type: str().openapi({ example: 'report.attendance' }),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    progress: z.number().int().openapi({ description: '0–100' }),
    result: z
      .record(str(), z.unknown())
      .optional()
      .openapi({ description: 'Report: {fileId, rows}. Import: {created, updated, skipped, rows, dryRun, errors: [{row, field, message}]}' }),
    error: str().optional().openapi({ description: 'Why the job failed (status failed only)' }),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('Job');

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

export function registerJobsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/reports',
      permission: 'reports:run',
      summary: 'Start a report job (attendance CSV); poll GET /jobs/{id}, the result carries a fileId',
      request: jsonBody(ReportRequest),
      responses: { 202: jsonResponse(Accepted, 'Queued') },
    }),
    async (c) => c.json(await c.get('container').jobs.startReport(tenantCtx(c), c.req.valid('json')), 202),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/imports',
      permission: 'imports:run',
      summary: 'Start a students import from an uploaded CSV; poll GET /jobs/{id}',
      request: jsonBody(ImportRequest),
      responses: { 202: jsonResponse(Accepted, 'Queued') },
    }),
    async (c) => c.json(await c.get('container').jobs.startImport(tenantCtx(c), c.req.valid('json')), 202),
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/jobs/{id}',
      permission: 'jobs:read',
      summary: 'A job you started (owners: any job of the centre)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Job, 'The job') },
    }),
    async (c) => {
      const job = await c.get('container').jobs.getJob(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(job.version));
      return c.json(job, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/attendance/rollups',
      permission: 'rollups:read',
      summary: 'Daily figures per room (computed hourly for days that have ended)',
      request: {
        query: z.object({
          from: date.optional().openapi({ description: 'Default: 30 days before `to`' }),
          to: date.optional().openapi({ description: 'Default: 30 days after `from`, or today' }),
          roomId: str().max(100).optional(),
        }),
      },
      responses: { 200: jsonResponse(z.object({ items: z.array(Rollup), nextCursor: str().nullable() }), 'Rollups ordered by date, then room') },
    }),
    async (c) => c.json(await c.get('container').jobs.listRollups(tenantCtx(c), c.req.valid('query')), 200),
  );
}
