import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';

/** Response schemas of the health routes (health.routes.ts; docs.routes.ts describes them in the reference too). */

export const Live = z.object({ status: z.literal('ok') }).openapi('Liveness');
export const Ready = z.object({ status: z.literal('ok'), checks: z.record(str(), str()) }).openapi('Readiness');
/** How the reference (docs.routes.ts) describes both health routes. */
export const HealthStatus = z.object({ status: z.literal('ok'), checks: z.record(str(), z.enum(['ok', 'unavailable', 'disk full'])).optional() });
