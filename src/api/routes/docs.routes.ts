import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { notFound } from '../../core/errors.js';
import type { AppEnv } from '../env.js';
import { DOCS_ASSETS, readDocsAsset } from '../openapi/assets.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import { HealthStatus } from './health.schemas.js';
import { ErrorSchema } from './error.schemas.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Daycare API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/assets/init.js"></script></body></html>`;

// "Try it out" runs on this origin with the session cookies; unsafe requests get the CSRF header from __Host-csrf.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/docs/openapi.json', dom_id: '#swagger-ui', deepLinking: true, displayOperationId: true, validatorUrl: null,
  withCredentials: true, persistAuthorization: false, defaultModelsExpandDepth: 0,
  requestInterceptor: function (req) {
    if (!/^(GET|HEAD|OPTIONS)$/i.test(req.method || 'GET')) {
      var m = document.cookie.match(/(?:^|; )__Host-csrf=([^;]*)/);
      if (m && !req.headers['X-CSRF-Token']) req.headers['X-CSRF-Token'] = decodeURIComponent(m[1]);
    }
    return req;
  }
});`;

// Swagger UI sets inline styles and uses data: images; nothing leaves this origin.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/**
 * Security schemes a browser page cannot fill in: cookies (a page cannot set a Cookie header; the browser sends the
 * session cookies itself once POST /auth/exchange has run on this page) and the offer token (it travels in the body).
 */
const NOT_FOR_THE_PAGE = ['sessionCookie', 'refreshCookie', 'offerToken'];

/** /openapi.json as /docs shows it: the same operations, without Authorize fields that could not work in a browser. */
export function docsPageDocument(doc: Record<string, any>): Record<string, any> {
  const page = structuredClone(doc);
  for (const name of NOT_FOR_THE_PAGE) delete page.components?.securitySchemes?.[name];
  for (const item of Object.values((page.paths ?? {}) as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      if (!Array.isArray(op?.security)) continue;
      const kept = op.security.map((req: Record<string, unknown>) => Object.fromEntries(Object.entries(req).filter(([k]) => !NOT_FOR_THE_PAGE.includes(k))));
      const unique = [...new Map(kept.map((r: Record<string, unknown>) => [JSON.stringify(r), r])).values()];
      op.security = unique.length === 1 && Object.keys(unique[0] as object).length === 0 ? [] : unique;
    }
  }
  return page;
}

/** The health routes are plain handlers (health.routes.ts); they are described here so the reference lists them too. */
function describeHealthRoutes(app: OpenAPIHono<AppEnv>) {
  const ok = HealthStatus;
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  app.openAPIRegistry.registerPath({ method: 'get', path: '/health/live', summary: 'The process runs', responses: { 200: json(ok, 'Alive') } });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/health/ready',
    summary: 'The database (and Redis when configured) answer',
    responses: { 200: json(ok, 'Ready'), 503: json(ErrorSchema, 'NOT_READY') },
  });
}

export function registerDocsRoutes(app: OpenAPIHono<AppEnv>) {
  describeHealthRoutes(app);
  // Built on the first request (every route is registered by then), then reused.
  let doc: Record<string, unknown> | undefined;
  app.get('/openapi.json', (c) => {
    doc ??= buildOpenApiDocument(app);
    // The base URL comes from configuration, never from the request's Host header (which a client chooses): PUBLIC_URL,
    // or the relative "/" (the document's own origin) when it is not set.
    const { publicUrl } = c.get('container').config;
    return c.json({ ...doc, servers: [{ url: publicUrl ?? '/' }] });
  });
  let pageDoc: Record<string, unknown> | undefined;
  app.get('/docs/openapi.json', (c) => {
    doc ??= buildOpenApiDocument(app);
    pageDoc ??= docsPageDocument(doc);
    return c.json({ ...pageDoc, servers: [{ url: '/' }] });
  });
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', DOCS_CSP);
    return c.html(PAGE);
  });
  app.get('/docs/assets/init.js', (c) => c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (!Object.hasOwn(DOCS_ASSETS, name)) throw notFound('Asset');
    const body = await readDocsAsset(name);
    return c.body(new Uint8Array(body), 200, { 'Content-Type': DOCS_ASSETS[name]!, 'Cache-Control': 'public, max-age=86400' });
  });
}
