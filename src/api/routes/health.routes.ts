import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError, DiskFullError } from '../../core/errors.js';
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
      summary: 'The database (and Redis, when configured) answer; with pg-boss, whether jobs wait with no worker consuming them',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'NOT_READY: a dependency is unavailable', content: { 'application/json': { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const { db, cache } = c.get('container');
      const checks: Record<string, string> = {};
      const reasons: Record<string, string> = {};
      try {
        await db.ping(1000);
        checks.database = 'ok';
      } catch (err) {
        // Embedded mode: the database answers but its disk is full, so every write would fail.
        checks.database = err instanceof DiskFullError ? 'disk full' : 'unavailable';
        if (err instanceof DiskFullError) reasons.database = err.message;
      }
      if (cache.kind === 'redis') {
        try {
          await cache.ping(1000);
          checks.cache = 'ok';
        } catch {
          checks.cache = 'unavailable';
        }
      }
      // pg-boss: due jobs nobody takes (no worker running). Reported, never a 503: the API itself still serves.
      const { jobsBacklog } = c.get('container');
      const jobs = checks.database === 'ok' && jobsBacklog ? await jobsBacklog().catch(() => undefined) : undefined;
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (failed.length)
        throw new AppError(
          'NOT_READY',
          `Not ready: ${failed.map(([k, v]) => `${k} ${v}`).join(', ')}`,
          failed.map(([k, v]) => ({ field: k, message: reasons[k] ?? v })),
        );
      return c.json({ status: 'ok' as const, checks, ...(jobs ? { jobs } : {}) }, 200);
    },
  );
}
