import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** (stub: filled in by the messages work) */
export function registerMessagesRoutes(_app: OpenAPIHono<AppEnv>) {}
