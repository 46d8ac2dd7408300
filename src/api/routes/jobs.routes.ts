import { str } from '../../core/strings.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { etag } from '../etag.js';
import type { AppEnv } from '../env.js';
import { tenantCtx } from '../middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, CalendarDate } from './registry.js';
import { JOB_STATUSES } from '../../models/enums.js';


const Accepted = z.object({ jobId: str() }).openapi('JobAccepted');

const ReportRequest = z
  .object({
    type: z.literal('attendance'),
    from: CalendarDate,
    to: CalendarDate,
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
    status: z.enum(JOB_STATUSES),
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
    async (c) => {
      const accepted = await c.get('container').jobs.startReport(tenantCtx(c), c.req.valid('json'));
      c.header('Location', `/jobs/${accepted.jobId}`);
      return c.json(accepted, 202);
    },
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
    async (c) => {
      const accepted = await c.get('container').jobs.startImport(tenantCtx(c), c.req.valid('json'));
      c.header('Location', `/jobs/${accepted.jobId}`);
      return c.json(accepted, 202);
    },
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
}
