import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';

/** Response schemas of the health routes (health.routes.ts; docs.routes.ts describes them in the reference too). */

export const Live = z.object({ status: z.literal('ok') }).openapi('Liveness');
/** pg-boss deployments: the job backlog (`stalled` is reported, not a 503 — the API itself still serves). */
export const JobsBacklog = z
  .object({
    status: z.enum(['ok', 'stalled']).describe('`stalled`: due jobs have waited longer than JOBS_STALLED_SECONDS (no `npm run worker` consuming them, or too few)'),
    waiting: z.number().int(),
    oldestWaitingSeconds: z.number().int(),
    workerConnections: z.number().int().describe('Database connections held by worker processes (0: no worker is running)'),
  })
  .openapi('JobsBacklog');
export const Ready = z.object({ status: z.literal('ok'), checks: z.record(str(), str()), jobs: JobsBacklog.optional() }).openapi('Readiness');
/** How the reference (docs.routes.ts) describes both health routes. */
export const HealthStatus = z.object({ status: z.literal('ok'), checks: z.record(str(), z.enum(['ok', 'unavailable', 'disk full'])).optional(), jobs: JobsBacklog.optional() });
