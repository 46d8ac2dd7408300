import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Accepted, ImportRequest, Job, ReportRequest } from './jobs.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse } from '../../api/routes/registry.js';

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
