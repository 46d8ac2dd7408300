import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** (stub: filled in by the centre work) */
export function registerCentreRoutes(_app: OpenAPIHono<AppEnv>) {}
