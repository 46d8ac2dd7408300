import type { OpenAPIHono } from '@hono/zod-openapi';
import { parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Form, FormCreate, FormWithToken } from './applications.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';

/** The centre's public application forms: each a token for POST /public/applications, shown once. */
export function registerApplicationFormsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({ method: 'post', path: '/application-forms', permission: 'enrolment:manage', summary: 'Create an application form; its token is shown this once', request: jsonBody(FormCreate), responses: { 201: jsonResponse(FormWithToken, 'Created') } }),
    async (c) => {
      c.set('sealResponse', true);
      return c.json(await c.get('container').publicEnrolment.createForm(tenantCtx(c), c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/application-forms', permission: 'enrolment:manage', summary: 'Application forms (never their tokens)', request: { query: ListQuery }, responses: { 200: jsonResponse(page(Form), 'Forms') } }),
    async (c) => c.json(await c.get('container').publicEnrolment.listForms(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({ method: 'delete', path: '/application-forms/{id}', permission: 'enrolment:manage', visible: NO_OWN_READ, summary: 'Delete a form: its token stops working at once', request: { params: IdParam }, responses: { 204: { description: 'Deleted' } } }),
    async (c) => {
      await c.get('container').publicEnrolment.deleteForm(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
