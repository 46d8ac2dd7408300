import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../core/errors.js';
import type { AppEnv } from '../env.js';
import { Live, Ready } from './health.schemas.js';
import { ErrorSchema } from './error.schemas.js';

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/live',
      tags: ['health'],
      summary: 'The process is up (no dependency is checked)',
      responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Live } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/ready',
      tags: ['health'],
      summary: 'The database (and Redis, when configured) answer',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'NOT_READY: a dependency is unavailable', content: { 'application/json': { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const { db, cache } = c.get('container');
      const checks: Record<string, string> = {};
      try {
        await db.ping(1000);
        checks.database = 'ok';
      } catch {
        checks.database = 'unavailable';
      }
      if (cache.kind === 'redis') {
        try {
          await cache.ping(1000);
          checks.cache = 'ok';
        } catch {
          checks.cache = 'unavailable';
        }
      }
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (failed.length)
        throw new AppError('NOT_READY', `Not ready: ${failed.map(([k]) => k).join(', ')} unavailable`, failed.map(([k]) => ({ field: k, message: 'unavailable' })));
      return c.json({ status: 'ok' as const, checks }, 200);
    },
  );
}
