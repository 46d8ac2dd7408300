import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Incident, IncidentCreate, IncidentListQuery, IncidentPatch } from './incidents.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { incidentVisible } from '../../api/routes/visibility.js';

export function registerIncidentsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/incidents',
      permission: 'day:write',
      summary: 'Record an incident (status open: guardians do not see it until it is reviewed)',
      request: jsonBody(IncidentCreate),
      responses: { 201: jsonResponse(Incident, 'Recorded') },
    }),
    async (c) => {
      const r = await c.get('container').incidents.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/incidents',
      permission: 'day:read',
      summary: 'Incidents (a guardian: their own children’s, once reviewed)',
      request: { query: IncidentListQuery },
      responses: { 200: jsonResponse(page(Incident), 'Incidents') },
    }),
    async (c) => c.json(await c.get('container').incidents.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/incidents/{id}',
      permission: 'day:read',
      summary: 'One incident (an open one is not found for a guardian)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Incident, 'The incident') },
    }),
    async (c) => {
      const r = await c.get('container').incidents.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/incidents/{id}',
      permission: 'day:write',
      visible: incidentVisible,
      summary: 'Change an incident while open or reviewed; acknowledged → 409',
      request: { params: IdParam, ...jsonBody(IncidentPatch) },
      responses: { 200: jsonResponse(Incident, 'Changed') },
    }),
    async (c) => {
      const r = await c.get('container').incidents.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/incidents/{id}/review',
      permission: 'incidents:review',
      visible: incidentVisible,
      summary: 'Review an open incident: the child’s guardians can see it and are asked by message to acknowledge it',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Incident, 'Reviewed') },
    }),
    async (c) => {
      const r = await c.get('container').incidents.review(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/incidents/{id}/acknowledge',
      permission: 'incidents:acknowledge',
      visible: incidentVisible,
      summary: 'Acknowledge a reviewed incident as a guardian of the child (records who and when)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Incident, 'Acknowledged') },
    }),
    async (c) => {
      const r = await c.get('container').incidents.acknowledge(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
}
