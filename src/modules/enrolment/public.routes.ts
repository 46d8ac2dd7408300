import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { publicFormOf } from '../../api/middleware/public.js';
import { requestMeta } from '../../api/middleware/session.js';
import { OfferLookupBody, OfferRespondBody, OfferResponded, OfferSummary, PublicApplicationCreate, PublicReceived } from './applications.schemas.js';
import { definePublicRoute, jsonBody, jsonResponse } from '../../api/routes/registry.js';

/** `/public/*`: what a family reaches without an account — the centre's form and the link in an offer email. */
export function registerPublicRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    definePublicRoute({
      method: 'post',
      path: '/public/applications',
      credential: 'form',
      summary: 'Apply through a centre’s form (the same answer whatever is already known; 20 per hour per address per form)',
      request: jsonBody(PublicApplicationCreate),
      responses: { 201: jsonResponse(PublicReceived, 'Received') },
    }),
    async (c) => {
      const { staffChild: _s, siblingStudentId: _b, ...input } = c.req.valid('json');
      return c.json(await c.get('container').publicEnrolment.submit(publicFormOf(c), input), 201);
    },
  );

  app.openapi(
    definePublicRoute({
      method: 'post',
      path: '/public/offers/lookup',
      credential: 'offer',
      summary: 'What an offer link offers (404: unknown or used token; 409: expired)',
      request: jsonBody(OfferLookupBody),
      responses: { 200: jsonResponse(OfferSummary, 'The offer') },
    }),
    async (c) => c.json(await c.get('container').publicEnrolment.lookupOffer(c.req.valid('json').token), 200),
  );

  app.openapi(
    definePublicRoute({
      method: 'post',
      path: '/public/offers/respond',
      credential: 'offer',
      summary: 'Accept or decline an offer through its link (accepting does what staff accept does)',
      request: jsonBody(OfferRespondBody),
      responses: { 200: jsonResponse(OfferResponded, 'The application’s new status') },
    }),
    async (c) => c.json(await c.get('container').publicEnrolment.respondToOffer(requestMeta(c), c.req.valid('json')), 200),
  );
}
