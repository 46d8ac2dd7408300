/** What the edges register of online payments (read by the manifest, src/modules/index.ts). */
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { registerPaymentsRoutes } from './payments.routes.js';

/** Given billing's Money schema (the manifest reads it from billing's module.ts). */
export const routes = { payments: (schemas: { Money: z.ZodNumber }) => (app: OpenAPIHono<AppEnv>) => registerPaymentsRoutes(app, schemas) };
