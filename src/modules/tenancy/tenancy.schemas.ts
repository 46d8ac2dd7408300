import { z } from '@hono/zod-openapi';
import { ENTITLEMENTS, ROLES } from '../../core/security/permissions.js';
import { nameStr, str } from '../../core/strings.js';
import { MEMBERSHIP_STATUSES } from '../../models/enums.js';
import { ListQuery } from '../../api/routes/registry.js';

/** Request and response schemas of the tenancy routes (tenancy.routes.ts: the centre, its members, its audit log). */

const name = nameStr(200);
export const MembershipFull = z
  .object({
    id: str(),
    tenantId: str(),
    userId: str().nullable(),
    email: str(),
    roles: z.array(str()).openapi({ example: ['teacher'] }),
    entitlements: z.array(str()),
    status: z.enum(MEMBERSHIP_STATUSES),
    createdAt: str(),
    updatedAt: str(),
    version: z.number(),
  })
  .openapi('MembershipRecord');
const roles = z.array(z.enum(ROLES)).min(1, 'give at least one role').max(4);
const entitlements = z.array(z.enum(ENTITLEMENTS)).max(10);
const closingTime = str().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

export const TenantCreate = z.object({ name, timezone: str().min(1).max(64) }).strict();
export const MembershipInvite = z.object({ email: str().trim().email().max(320), roles, entitlements: entitlements.optional() }).strict();
export const MembershipPatch = z.object({ roles: roles.optional(), entitlements: entitlements.optional(), status: z.enum(['active', 'suspended']).optional() }).strict();
export const AuditQuery = ListQuery.extend({ action: str().max(100).optional() });
export const AuditEntry = z.record(str(), z.unknown());

/**
 * The schemas of the sections other modules keep under GET/PATCH /tenant (billing, enrolment's waitlist,
 * notifications): the owners' own schema objects, exported by their module.ts and handed in by the manifest
 * (src/modules/index.ts), so the OpenAPI document names the very same schemas.
 */
export interface TenantSectionSchemas {
  billing: { settings: z.ZodTypeAny; patch: z.ZodTypeAny };
  waitlist: { settings: z.ZodTypeAny; patch: z.ZodTypeAny };
  notifications: { settings: z.ZodTypeAny; patch: z.ZodTypeAny };
}

/** The centre (GET/PATCH /tenant, POST /tenants) with its settings sections. */
export function tenantSchemas(sections: TenantSectionSchemas) {
  const { billing, waitlist, notifications } = sections;
  const Tenant = z
    .object({
      id: str(),
      name: str(),
      timezone: str(),
      closingTime: str(),
      createdAt: str(),
      updatedAt: str(),
      version: z.number(),
      /** Billing settings (issue 24): shown to members who read billing. */
      billing: billing.settings.optional(),
      waitlist: waitlist.settings.optional(),
      notifications: notifications.settings.optional().openapi({ description: 'The daily report digest time (GET and PATCH /tenant)' }),
    })
    .openapi('Tenant');
  const TenantCreated = z.object({ tenant: Tenant, membership: MembershipFull, csrfToken: str() });
  const TenantPatch = z
    .object({
      name: name.optional(),
      timezone: str().min(1).max(64).optional(),
      closingTime: closingTime.optional(),
      waitlist: waitlist.patch.optional(),
      billing: billing.patch.optional(),
      notifications: notifications.patch.optional(),
    })
    .strict();
  return { Tenant, TenantCreated, TenantPatch };
}
