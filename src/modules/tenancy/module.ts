/** What the edges register of tenancy (read by the manifest, src/modules/index.ts). */
import { registerInvitationRoutes } from './invitations.routes.js';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { registerTenancyRoutes } from './tenancy.routes.js';
import type { TenantSectionSchemas } from './tenancy.schemas.js';

export const routes = {
  /** Given the other modules' settings-section schemas (the manifest reads them from their module.ts). */
  tenancy: (sections: TenantSectionSchemas) => (app: OpenAPIHono<AppEnv>) => registerTenancyRoutes(app, sections),
  invitations: registerInvitationRoutes,
};
