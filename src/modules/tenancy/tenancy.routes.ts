import type { OpenAPIHono } from '@hono/zod-openapi';
import { setSessionCookies } from '../../api/cookies.js';
import type { AppEnv } from '../../api/env.js';
import { etag, parseIfMatch } from '../../api/etag.js';
import { ctxOf, tenantCtx } from '../../api/middleware/session.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { NO_OWN_READ } from '../../api/routes/visibility.js';
import { AuditEntry, AuditQuery, MembershipFull, MembershipInvite, MembershipPatch, TenantCreate, tenantSchemas, type TenantSectionSchemas } from './tenancy.schemas.js';

/** `sections`: the schemas of the other modules' settings sections of GET/PATCH /tenant (the manifest hands them in). */
export function registerTenancyRoutes(app: OpenAPIHono<AppEnv>, sections: TenantSectionSchemas) {
  const { Tenant, TenantCreated, TenantPatch } = tenantSchemas(sections);
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/tenants',
      permission: 'authenticated',
      summary: 'Create a centre; the caller becomes its owner and is switched to it',
      request: jsonBody(TenantCreate),
      responses: { 201: jsonResponse(TenantCreated, 'Created') },
    }),
    async (c) => {
      const { tenancy, sessions, config } = c.get('container');
      const { tenant, membership } = await tenancy.createTenant(ctxOf(c), c.req.valid('json'));
      const issued = await sessions.issueFor(ctxOf(c), membership);
      setSessionCookies(c, issued, { accessTtl: config.accessTokenTtlSeconds, refreshTtl: config.sessionAbsoluteSeconds });
      c.header('ETag', etag(tenant.version));
      return c.json({ tenant, membership, csrfToken: issued.csrfToken }, 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/tenant', permission: 'tenant:read', summary: 'The active centre', responses: { 200: jsonResponse(Tenant, 'The centre') } }),
    async (c) => {
      // The tenant and its settings sections (waitlist, notifications, billing to those who read billing): one transaction.
      const t = await c.get('container').tenancy.getTenant(tenantCtx(c));
      c.header('ETag', etag(t.version));
      return c.json(t, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/tenant',
      permission: 'tenant:manage',
      summary: 'Change the centre settings (owners)',
      request: jsonBody(TenantPatch),
      responses: { 200: jsonResponse(Tenant, 'Updated') },
    }),
    async (c) => {
      // One transaction: `billing` needs billing:manage (403 before anything changes); a section that fails rolls back the rest.
      const t = await c.get('container').tenancy.updateTenant(tenantCtx(c), c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(t.version));
      return c.json(t, 200);
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
      request: jsonBody(MembershipInvite),
      responses: { 201: jsonResponse(MembershipFull, 'Invited') },
    }),
    async (c) => {
      const m = await c.get('container').tenancy.invite(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(m.version));
      return c.json(m, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/memberships/{id}',
      permission: 'members:manage',
      visible: NO_OWN_READ,
      summary: 'Change roles, entitlements or status (takes effect on the member’s next request)',
      request: { params: IdParam, ...jsonBody(MembershipPatch) },
      responses: { 200: jsonResponse(MembershipFull, 'Updated') },
    }),
    async (c) => {
      const m = await c.get('container').tenancy.updateMembership(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(m.version));
      return c.json(m, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'delete',
      path: '/memberships/{id}',
      permission: 'members:manage',
      visible: NO_OWN_READ,
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
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(page(AuditEntry), 'Audit entries') },
    }),
    async (c) => c.json(await c.get('container').tenancy.listAudit(tenantCtx(c), c.req.valid('query')), 200),
  );
}
