import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { etag, parseIfMatch } from '../../api/etag.js';
import { tenantCtx } from '../../api/middleware/session.js';
import {
  Account,
  AccountCreate,
  AccountPatch,
  BillingSettings,
  BillingSettingsPatch,
  Charge,
  ChargeCreate,
  ChargeQuery,
  Plan,
  PlanCreate,
  PlanPatch,
  Subscription,
  SubscriptionCreate,
  SubscriptionPatch,
  SubscriptionQuery,
} from './billing.schemas.js';
import { ArchivedListQuery, defineRoute, IdParam, includeArchived, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { NO_OWN_READ, READ_NEEDS_SAME_PERMISSION, billingAccountVisible } from '../../api/routes/visibility.js';

/** Billing setup: settings, plans, accounts, subscriptions, charges (CONTRACT "Billing"). */
export function registerBillingRoutes(app: OpenAPIHono<AppEnv>) {
  const svc = (c: { get(k: 'container'): AppEnv['Variables']['container'] }) => c.get('container').billing;

  app.openapi(
    defineRoute({ method: 'get', path: '/billing/settings', permission: 'billing:manage', summary: 'The centre’s billing settings (also under `billing` in GET /tenant)', responses: { 200: jsonResponse(BillingSettings, 'Settings') } }),
    async (c) => c.json(await svc(c).getSettings(tenantCtx(c)), 200),
  );
  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/billing/settings',
      permission: 'billing:manage',
      summary: 'Change the billing settings (owner/admin; the same as PATCH /tenant {"billing"})',
      request: jsonBody(BillingSettingsPatch),
      responses: { 200: jsonResponse(BillingSettings, 'Settings') },
    }),
    async (c) => c.json(await svc(c).updateSettings(tenantCtx(c), c.req.valid('json')), 200),
  );

  // Plans
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/plans', permission: 'billing:manage', summary: 'Tuition plans', request: { query: ArchivedListQuery }, responses: { 200: jsonResponse(page(Plan), 'Plans') } }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await svc(c).listPlans(tenantCtx(c), { ...q, includeArchived: includeArchived(q.includeArchived) }), 200);
    },
  );
  app.openapi(
    defineRoute({ method: 'post', path: '/billing/plans', permission: 'billing:manage', summary: 'Create a plan', request: jsonBody(PlanCreate), responses: { 201: jsonResponse(Plan, 'Created') } }),
    async (c) => {
      const r = await svc(c).createPlan(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/plans/{id}', permission: 'billing:manage', summary: 'One plan', request: { params: IdParam }, responses: { 200: jsonResponse(Plan, 'The plan') } }),
    async (c) => {
      const r = await svc(c).getPlan(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/billing/plans/{id}',
      permission: 'billing:manage',
      visible: READ_NEEDS_SAME_PERMISSION,
      summary: 'Change a plan; its amount cannot change once it is on an issued invoice (409)',
      request: { params: IdParam, ...jsonBody(PlanPatch) },
      responses: { 200: jsonResponse(Plan, 'Changed') },
    }),
    async (c) => {
      const r = await svc(c).updatePlan(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({ method: 'delete', path: '/billing/plans/{id}', permission: 'billing:manage', visible: READ_NEEDS_SAME_PERMISSION, summary: 'Archive a plan (its subscriptions go on)', request: { params: IdParam }, responses: { 204: { description: 'Archived' } } }),
    async (c) => {
      await svc(c).archivePlan(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  // Accounts
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/accounts', permission: 'billing:read', summary: 'Billing accounts (a guardian: those they pay for)', request: { query: ListQuery }, responses: { 200: jsonResponse(page(Account), 'Accounts') } }),
    async (c) => c.json(await svc(c).listAccounts(tenantCtx(c), c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'post', path: '/billing/accounts', permission: 'billing:manage', summary: 'Create a family account', request: jsonBody(AccountCreate), responses: { 201: jsonResponse(Account, 'Created') } }),
    async (c) => {
      const r = await svc(c).createAccount(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/accounts/{id}', permission: 'billing:read', summary: 'One account with its balance', request: { params: IdParam }, responses: { 200: jsonResponse(Account, 'The account') } }),
    async (c) => {
      const r = await svc(c).getAccount(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({ method: 'patch', path: '/billing/accounts/{id}', permission: 'billing:manage', visible: billingAccountVisible, summary: 'Change an account', request: { params: IdParam, ...jsonBody(AccountPatch) }, responses: { 200: jsonResponse(Account, 'Changed') } }),
    async (c) => {
      const r = await svc(c).updateAccount(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );

  // Subscriptions
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/subscriptions', permission: 'billing:manage', summary: 'Subscriptions (children on plans)', request: { query: SubscriptionQuery }, responses: { 200: jsonResponse(page(Subscription), 'Subscriptions') } }),
    async (c) => c.json(await svc(c).listSubscriptions(tenantCtx(c), c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'post', path: '/billing/subscriptions', permission: 'billing:manage', summary: 'Put a child on a plan', request: jsonBody(SubscriptionCreate), responses: { 201: jsonResponse(Subscription, 'Created') } }),
    async (c) => {
      const r = await svc(c).createSubscription(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );
  app.openapi(
    defineRoute({
      method: 'patch',
      path: '/billing/subscriptions/{id}',
      permission: 'billing:manage',
      visible: NO_OWN_READ,
      summary: 'Change a subscription (end it with endDate)',
      request: { params: IdParam, ...jsonBody(SubscriptionPatch) },
      responses: { 200: jsonResponse(Subscription, 'Changed') },
    }),
    async (c) => {
      const r = await svc(c).updateSubscription(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({ method: 'delete', path: '/billing/subscriptions/{id}', permission: 'billing:manage', visible: NO_OWN_READ, summary: 'Delete a subscription never invoiced (else 409: end it)', request: { params: IdParam }, responses: { 204: { description: 'Deleted' } } }),
    async (c) => {
      await svc(c).deleteSubscription(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  // Charges
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/charges', permission: 'billing:manage', summary: 'Charges', request: { query: ChargeQuery }, responses: { 200: jsonResponse(page(Charge), 'Charges') } }),
    async (c) => c.json(await svc(c).listCharges(tenantCtx(c), c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'post', path: '/billing/charges', permission: 'billing:manage', summary: 'Add a one-off charge (approved)', request: jsonBody(ChargeCreate), responses: { 201: jsonResponse(Charge, 'Created') } }),
    async (c) => {
      const r = await svc(c).createCharge(tenantCtx(c), c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );
  for (const [action, decision] of [
    ['approve', 'approved'],
    ['waive', 'waived'],
  ] as const) {
    app.openapi(
      defineRoute({
        method: 'post',
        path: `/billing/charges/{id}/${action}`,
        permission: 'billing:manage',
        visible: NO_OWN_READ,
        summary: `${action === 'approve' ? 'Approve' : 'Waive'} a pending charge (one not pending → 409)`,
        request: { params: IdParam },
        responses: { 200: jsonResponse(Charge, decision) },
      }),
      async (c) => {
        const r = await svc(c).decideCharge(tenantCtx(c), c.req.valid('param').id, decision, parseIfMatch(c.req.header('if-match')));
        c.header('ETag', etag(r.version));
        return c.json(r, 200);
      },
    );
  }
}
