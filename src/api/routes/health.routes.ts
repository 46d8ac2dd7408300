import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../core/errors.js';
import type { AppEnv } from '../env.js';

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>) {
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/ready', async (c) => {
    const { db, cache } = c.get('container');
    const checks: Record<string, string> = {};
    try {
      await db.ping(2000);
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
    return c.json({ status: 'ok', checks });
  });
}
