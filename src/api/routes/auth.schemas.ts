import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';

/** Request and response schemas of the session routes (auth.routes.ts: /auth/* and /me/context). */

export const Membership = z
  .object({ id: str(), tenantId: str(), tenantName: str(), roles: z.array(str()), entitlements: z.array(str()), status: str() })
  .openapi('Membership');
const User = z.object({ id: str(), email: str() });

export const ExchangeBody = z.object({ accessToken: str().max(8192) }).strict();
export const ExchangeResponse = z.object({
  user: User,
  memberships: z.array(Membership),
  activeMembershipId: str().nullable(),
  invitations: z
    .array(z.object({ id: str(), tenantId: str(), tenantName: str(), roles: z.array(str()) }))
    .openapi({ description: 'Invitations waiting for this email; nothing is joined until one is accepted (POST /invitations/{id}/accept)' }),
  csrfToken: str(),
});

export const RefreshResponse = z.object({ csrfToken: str(), activeMembershipId: str().nullable() });

export const SwitchBody = z.object({ membershipId: str().max(100) }).strict();
export const SwitchResponse = z.object({ activeMembershipId: str(), csrfToken: str(), membership: Membership });

export const MeContext = z.object({
  user: User,
  tenant: z.object({ id: str(), name: str(), timezone: str() }).nullable(),
  membership: Membership.nullable(),
  roles: z.array(str()),
  permissions: z.array(str()),
  entitlements: z.array(str()),
  menu: z.array(z.object({ id: str(), label: str(), path: str() })),
  memberships: z.array(Membership),
  csrfToken: str(),
});
