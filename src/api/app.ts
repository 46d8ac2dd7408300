import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { TrieRouter } from 'hono/router/trie-router';
import type { AppContainer } from './env.js';
import { AppError, errorBody } from '../core/errors.js';
import type { AppEnv } from './env.js';
import { corsHeaders, requestBasics, requireJson } from './middleware/basics.js';
import { handleError } from './middleware/errors.js';
import { registerAuthRoutes } from './routes/auth.routes.js';
import { registerDocsRoutes } from './routes/docs.routes.js';
import { registerHealthRoutes } from './routes/health.routes.js';
import { ROUTES } from '../modules/index.js';
import { collectRoutes, type RouteMeta } from './routes/registry.js';

/** Paths whose bodies are not JSON: the local storage driver's signed upload URLs. */
export const RAW_BODY_PREFIXES = ['/files/local/'];
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** Builds the Hono app. It never listens: entrypoints host it (Node server, Lambda). */
export function createApp(container: AppContainer) {
  const app = new OpenAPIHono<AppEnv>({
    // The router Hono's default (SmartRouter) settles on for these routes: RegExpRouter cannot hold them
    // (tests/unit/router.test.ts), so the default built and dropped one on the first request before using a trie.
    router: new TrieRouter(),
    defaultHook: (result) => {
      if (!result.success) throw result.error;
    },
  });
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`, c.get('requestId') ?? ''), 404));

  app.use('*', async (c, next) => {
    c.set('container', container);
    await next();
  });
  app.use('*', requestBasics());
  // Outermost around the routes' own middleware (idempotency's unit of work commits inside): kick the outbox drain.
  app.use('*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.method !== 'OPTIONS' && c.res.status < 400) container.onCommitted?.();
  });
  app.use(
    '*',
    corsHeaders({
      allowOrigin: (origin) => (container.config.appOrigins.includes(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Authorization', 'X-CSRF-Token', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
      exposeHeaders: ['ETag', 'X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Deprecation', 'Sunset', 'Location'],
      maxAge: 600,
    }),
  );
  app.use('*', async (c, next) => {
    // GET/HEAD carry no body; touching `c.req.raw.body` would also build a full Request object on every read.
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || RAW_BODY_PREFIXES.some((p) => c.req.path.startsWith(p))) return next();
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > container.config.bodyLimit) {
      // Read (and discard) a moderately oversized body first, so the client receives the 413 instead of a reset.
      if (declared <= DRAIN_LIMIT && c.req.raw.body) {
        const reader = c.req.raw.body.getReader();
        while (!(await reader.read()).done);
      }
      throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${container.config.bodyLimit} bytes`);
    }
    // On Node, a declared length within the limit is exact (the HTTP parser reads that many bytes and no more): nothing
    // to count. A body without one (chunked), or on Lambda, is counted as it streams, which needs the full Request.
    const onNode = (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined;
    if (onNode && c.req.header('content-length') !== undefined && c.req.header('transfer-encoding') === undefined) return next();
    return bodyLimit({
      maxSize: container.config.bodyLimit,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${container.config.bodyLimit} bytes`);
      },
    })(c, next);
  });
  // The payment webhook checks its signature over whatever bytes came (before any parsing); the fake's /dev page takes a form.
  app.use('*', requireJson([...RAW_BODY_PREFIXES, '/webhooks/payments/', '/dev/checkout/']));

  const routeTable: readonly RouteMeta[] = collectRoutes(() => registerRoutes(app));
  return Object.assign(app, { routeTable });
}
export type App = ReturnType<typeof createApp>;

function registerRoutes(app: OpenAPIHono<AppEnv>) {
  registerHealthRoutes(app);
  registerDocsRoutes(app);
  registerAuthRoutes(app);
  // The capabilities' routes, in the manifest's order (src/modules/index.ts).
  for (const register of ROUTES) register(app);
}

/**
 * The authenticated routes an app built by `createApp` declares (its `routeTable`), without building one: for the
 * suites that generate a test per route before any server exists. Registering needs no container.
 */
export function routeTable(): readonly RouteMeta[] {
  return collectRoutes(() => registerRoutes(new OpenAPIHono<AppEnv>()));
}
