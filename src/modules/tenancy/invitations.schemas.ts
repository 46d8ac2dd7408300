import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { MembershipFull } from './tenancy.schemas.js';

/** Request and response schemas of the invitations routes (invitations.routes.ts). */

export const Invitation = z
  .object({ id: str(), tenantId: str(), tenantName: str(), roles: z.array(str()) })
  .openapi('Invitation', { description: 'A centre inviting the signed-in email; it joins nothing until accepted' });
export const InvitationAccepted = z.object({ membership: MembershipFull });
