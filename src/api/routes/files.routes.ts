import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** (stub: filled in by the files work) */
export function registerFilesRoutes(_app: OpenAPIHono<AppEnv>) {}
