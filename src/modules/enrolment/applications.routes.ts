import type { OpenAPIHono } from '@hono/zod-openapi';
import { etag, parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { Accepted, Application, ApplicationCreate, ApplicationPatch, ApplicationsQuery, DeclineBody, OfferCreate, WithdrawBody } from './applications.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, page } from '../../api/routes/registry.js';
import { READ_NEEDS_SAME_PERMISSION } from '../../api/routes/visibility.js';

/** Applications and their moves (CONTRACT §5 "Enrolment"; owners and admins). */
export function registerApplicationsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({ method: 'get', path: '/applications', permission: 'enrolment:manage', summary: 'Applications (filter by status; an offer past its deadline is expired)', request: { query: ApplicationsQuery }, responses: { 200: jsonResponse(page(Application), 'Applications') } }),
    async (c) => c.json(await c.get('container').enrolment.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/applications', permission: 'enrolment:manage', summary: 'Record an application (waitlisted)', request: jsonBody(ApplicationCreate), responses: { 201: jsonResponse(Application, 'Created') } }),
    async (c) => {
      const a = await c.get('container').enrolment.create(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(a.version));
      return c.json(a, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/applications/{id}', permission: 'enrolment:manage', summary: 'One application', request: { params: IdParam }, responses: { 200: jsonResponse(Application, 'The application') } }),
    async (c) => {
      const a = await c.get('container').enrolment.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(a.version));
      return c.json(a, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/applications/{id}',
      permission: 'enrolment:manage',
      visible: READ_NEEDS_SAME_PERMISSION,
      summary: 'Change an application’s fields (its status changes only through the moves)',
      request: { params: IdParam, ...jsonBody(ApplicationPatch) },
      responses: { 200: jsonResponse(Application, 'Updated') },
    }),
    async (c) => {
      const a = await c.get('container').enrolment.update(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(a.version));
      return c.json(a, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/applications/{id}/offer',
      permission: 'enrolment:manage',
      visible: READ_NEEDS_SAME_PERMISSION,
      summary: 'Offer a place: first on the waitlist (or with an outOfOrderReason), within the room’s capacity; the applicant gets offer.made',
      request: { params: IdParam, ...jsonBody(OfferCreate) },
      responses: { 200: jsonResponse(Application, 'Offered') },
    }),
    async (c) => c.json(await c.get('container').enrolment.offer(tenantCtx(c), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/applications/{id}/accept',
      permission: 'enrolment:manage',
      visible: READ_NEEDS_SAME_PERMISSION,
      summary: 'Accept the offer: the guardian, the enrolled child, their link, billing and the guardian’s invitation, in one transaction',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Accepted, 'Enrolled') },
    }),
    async (c) => c.json(await c.get('container').enrolment.accept(tenantCtx(c), c.req.valid('param').id), 200),
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/applications/{id}/decline', permission: 'enrolment:manage', visible: READ_NEEDS_SAME_PERMISSION, summary: 'Decline the offer (optionally back on the waitlist)', request: { params: IdParam, ...jsonBody(DeclineBody) }, responses: { 200: jsonResponse(Application, 'Declined') } }),
    async (c) => c.json(await c.get('container').enrolment.decline(tenantCtx(c), c.req.valid('param').id, c.req.valid('json').returnToWaitlist ?? false), 200),
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/applications/{id}/withdraw', permission: 'enrolment:manage', visible: READ_NEEDS_SAME_PERMISSION, summary: 'Withdraw a waitlisted or offered application', request: { params: IdParam, ...jsonBody(WithdrawBody) }, responses: { 200: jsonResponse(Application, 'Withdrawn') } }),
    async (c) => c.json(await c.get('container').enrolment.withdraw(tenantCtx(c), c.req.valid('param').id, c.req.valid('json').reason), 200),
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/applications/{id}/reinstate', permission: 'enrolment:manage', visible: READ_NEEDS_SAME_PERMISSION, summary: 'Put a declined, expired or withdrawn application back on the waitlist (rankAt = now)', request: { params: IdParam }, responses: { 200: jsonResponse(Application, 'Waitlisted') } }),
    async (c) => c.json(await c.get('container').enrolment.reinstate(tenantCtx(c), c.req.valid('param').id), 200),
  );
}
