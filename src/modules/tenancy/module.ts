/** What the edges register of tenancy (read by the manifest, src/modules/index.ts). */
import { registerInvitationRoutes } from './invitations.routes.js';
import { registerTenancyRoutes } from './tenancy.routes.js';

export const routes = { tenancy: registerTenancyRoutes, invitations: registerInvitationRoutes };
