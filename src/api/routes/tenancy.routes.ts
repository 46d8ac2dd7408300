import { str } from '../../core/strings.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ENTITLEMENTS, ROLES } from '../../core/security/permissions.js';
import { etag, parseIfMatch } from '../etag.js';
import { membershipDto, tenantDto } from '../../services/tenancy.service.js';
import { setSessionCookies } from '../cookies.js';
import type { AppEnv } from '../env.js';
import { ctxOf, tenantCtx } from '../middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from './registry.js';
import { MEMBERSHIP_STATUSES } from '../../models/enums.js';

const name = str().trim().min(1, 'is required').max(200);
const Tenant = z
  .object({ id: str(), name: str(), timezone: str(), closingTime: str(), createdAt: str(), updatedAt: str(), version: z.number() })
  .openapi('Tenant');
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

export function registerTenancyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/tenants',
      permission: 'authenticated',
      summary: 'Create a centre; the caller becomes its owner and is switched to it',
      request: jsonBody(z.object({ name, timezone: str().min(1).max(64) })),
      responses: { 201: jsonResponse(z.object({ tenant: Tenant, membership: MembershipFull, csrfToken: str() }), 'Created') },
    }),
    async (c) => {
      const { tenancy, auth, config } = c.get('container');
      const { tenant, membership } = await tenancy.createTenant(ctxOf(c), c.req.valid('json'));
      const issued = await auth.issueFor(ctxOf(c), membership);
      setSessionCookies(c, issued, { accessTtl: config.accessTokenTtlSeconds, refreshTtl: config.sessionAbsoluteSeconds });
      c.header('ETag', etag(tenant.version));
      return c.json({ tenant: tenantDto(tenant), membership: membershipDto(membership), csrfToken: issued.csrfToken }, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/tenant', permission: 'tenant:read', summary: 'The active centre', responses: { 200: jsonResponse(Tenant, 'The centre') } }),
    async (c) => {
      const t = await c.get('container').tenancy.getTenant(tenantCtx(c));
      c.header('ETag', etag(t.version));
      return c.json(tenantDto(t), 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/tenant',
      permission: 'tenant:manage',
      summary: 'Change the centre settings (owners)',
      request: jsonBody(z.object({ name: name.optional(), timezone: str().min(1).max(64).optional(), closingTime: closingTime.optional() }).strict()),
      responses: { 200: jsonResponse(Tenant, 'Updated') },
    }),
    async (c) => {
      const t = await c.get('container').tenancy.updateTenant(tenantCtx(c), c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(t.version));
      return c.json(tenantDto(t), 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/memberships',
      permission: 'members:manage',
      summary: 'Members and invitations of the centre',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(page(MembershipFull), 'Members') },
    }),
    async (c) => c.json(await c.get('container').tenancy.listMemberships(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/memberships',
      permission: 'members:manage',
      summary: 'Invite someone by email; the membership stays invited until that email accepts it (POST /invitations/{id}/accept)',
      request: jsonBody(z.object({ email: str().trim().email().max(320), roles, entitlements: entitlements.optional() })),
      responses: { 201: jsonResponse(MembershipFull, 'Invited') },
    }),
    async (c) => {
      const m = await c.get('container').tenancy.invite(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(m.version));
      return c.json(membershipDto(m), 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/memberships/{id}',
      permission: 'members:manage',
      summary: 'Change roles, entitlements or status (takes effect on the member’s next request)',
      request: { params: IdParam, ...jsonBody(z.object({ roles: roles.optional(), entitlements: entitlements.optional(), status: z.enum(['active', 'suspended']).optional() }).strict()) },
      responses: { 200: jsonResponse(MembershipFull, 'Updated') },
    }),
    async (c) => {
      const m = await c.get('container').tenancy.updateMembership(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(m.version));
      return c.json(membershipDto(m), 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/memberships/{id}',
      permission: 'members:manage',
      summary: 'Remove a member (not the last owner)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' } },
    }),
    async (c) => {
      await c.get('container').tenancy.removeMembership(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/audit-logs',
      permission: 'audit:read',
      summary: 'The append-only audit log, newest first',
      request: { query: ListQuery.extend({ action: str().max(100).optional() }) },
      responses: { 200: jsonResponse(page(z.record(str(), z.unknown())), 'Audit entries') },
    }),
    async (c) => c.json(await c.get('container').tenancy.listAudit(tenantCtx(c), c.req.valid('query')), 200),
  );
}
