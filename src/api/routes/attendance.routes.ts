import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** (stub: filled in by the attendance work) */
export function registerAttendanceRoutes(_app: OpenAPIHono<AppEnv>) {}
