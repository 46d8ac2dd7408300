import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** (stub: filled in by the jobs work) */
export function registerJobsRoutes(_app: OpenAPIHono<AppEnv>) {}
