import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../../src/core/context.js';
import { newId } from '../../src/core/ids.js';
import { ENTITLEMENTS, permissionsFor } from '../../src/core/security/permissions.js';
import { forTenant } from '../../src/db/db.js';
import { auditActions, newCentre, useServer } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { addMember } from '../helpers/server.js';

/**
 * GET|PATCH /tenant with its settings sections (waitlist, notifications, billing): one transaction per request, so a
 * PATCH naming several sections changes everything or nothing; who sees and changes `billing` is as before.
 */
describe('GET|PATCH /tenant settings sections', () => {
  const srv = useServer();
  const ok = (r: { status: number; text: string; body: any }, status = 200) => {
    expect(r.status, r.text).toBe(status);
    return r.body;
  };
  /** Everything a PATCH could have changed, and the audit rows it would have written. */
  async function state(owner: Agent) {
    const t = ok(await owner.get('/tenant'));
    const audits = await Promise.all(['tenant.updated', 'waitlist.settings_updated', 'notification_settings.updated', 'billing.settings.updated'].map((a) => auditActions(owner, a)));
    return { tenant: t, audits: audits.map((a) => a.length) };
  }
  const everything = (currency: string) => ({
    name: 'Renamed',
    closingTime: '17:00',
    waitlist: { offerHoldHours: 24 },
    notifications: { digestAt: '07:15' },
    billing: { dueDay: 9, currency },
  });

  it('a PATCH naming several sections where the last one fails (currency fixed by an issued invoice → 409) changes nothing', async () => {
    const { owner, tenant } = await newCentre(srv);
    ok(await owner.patch('/tenant', { billing: { taxId: 'TX-1' } }));
    // An issued invoice fixes the currency (the counter of issued invoice numbers is what the rule reads).
    await srv.container.db.scoped(forTenant(tenant.id), (tx) => tx.execute(sql`update billing_settings set last_invoice_number = 1 where tenant_id = ${tenant.id}`));
    const before = await state(owner);
    const r = await owner.patch('/tenant', everything('EUR'));
    expect(r.status, r.text).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
    expect(await state(owner)).toEqual(before);
    // The same PATCH with the currency it has: every section and the tenant change, in one answer.
    const p = ok(await owner.patch('/tenant', everything('USD')));
    expect(p).toMatchObject({ name: 'Renamed', closingTime: '17:00', version: before.tenant.version + 1, waitlist: { offerHoldHours: 24 }, notifications: { digestAt: '07:15' }, billing: { dueDay: 9, currency: 'USD', taxId: 'TX-1' } });
    expect(ok(await owner.get('/tenant'))).toEqual(p);
    expect((await state(owner)).audits).toEqual(before.audits.map((n) => n + 1));
  });

  it('a stale If-Match (412) writes none of the sections either', async () => {
    const { owner } = await newCentre(srv);
    ok(await owner.patch('/tenant', { name: 'v2' }));
    const before = await state(owner);
    const r = await owner.patch('/tenant', everything('EUR'), { 'if-match': '"1"' });
    expect(r.status, r.text).toBe(412);
    expect(await state(owner)).toEqual(before);
  });

  it('billing: read only with billing:read, written only with billing:manage (403 before anything changes); answers as before', async () => {
    const { owner } = await newCentre(srv);
    // An owner without the billing entitlement: tenant:manage, but neither billing:read nor billing:manage.
    const plain = (await addMember(srv, owner, ['owner'], { entitlements: ['messaging'] })).agent;
    const seen = ok(await plain.get('/tenant'));
    expect(seen.billing).toBeUndefined();
    expect(seen.notifications).toEqual({ digestAt: '18:00' });
    expect(seen.waitlist).toMatchObject({ offerHoldHours: 72 });
    const before = await state(owner);
    const denied = await plain.patch('/tenant', { name: 'Nope', notifications: { digestAt: '06:00' }, billing: { dueDay: 3 } });
    expect(denied.status, denied.text).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'Billing settings need the billing entitlement' });
    expect(await state(owner)).toEqual(before);
    // Without `billing` the same member changes the rest; the answer still hides billing.
    const p = ok(await plain.patch('/tenant', { name: 'Yes', notifications: { digestAt: '06:00' } }));
    expect(p).toMatchObject({ name: 'Yes', notifications: { digestAt: '06:00' } });
    expect(p.billing).toBeUndefined();
    // An owner with it sees billing in both answers.
    expect(ok(await owner.get('/tenant')).billing).toMatchObject({ currency: 'USD', dueDay: 1 });
    expect(ok(await owner.patch('/tenant', { name: 'Again' })).billing).toMatchObject({ currency: 'USD' });
    // A teacher reads the centre without billing and cannot PATCH it.
    const teacher = (await addMember(srv, owner, ['teacher'])).agent;
    expect(ok(await teacher.get('/tenant')).billing).toBeUndefined();
    expect((await teacher.patch('/tenant', { notifications: { digestAt: '05:00' } })).status).toBe(403);
  });

  it('a PATCH of own-record sections only (billing, notifications) leaves the tenant row, its version and If-Match alone', async () => {
    const { owner } = await newCentre(srv);
    const r = await owner.patch('/tenant', { billing: { dueDay: 4 }, notifications: { digestAt: '08:00' } }, { 'if-match': '"7"' });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ version: 1, billing: { dueDay: 4 }, notifications: { digestAt: '08:00' } });
    expect(r.headers.get('etag')).toBe('"1"');
    expect(await auditActions(owner, 'tenant.updated')).toHaveLength(0);
    // A waitlist section is part of the tenant: it bumps the version.
    expect(ok(await owner.patch('/tenant', { waitlist: { offerHoldHours: 48 } })).version).toBe(2);
    // Values as before: the same digest time again is no change (no audit row); a bad value is 400 before anything.
    ok(await owner.patch('/tenant', { notifications: { digestAt: '08:00' } }));
    expect(await auditActions(owner, 'notification_settings.updated')).toHaveLength(1);
    const bad = await owner.patch('/tenant', { name: 'X', billing: { dueDay: 29 } });
    expect(bad.status).toBe(400);
    expect(ok(await owner.get('/tenant')).name).toBe('Test Centre');
  });

  it('the service checks each section’s value type itself, before anything is written', async () => {
    const { owner, tenant, membership } = await newCentre(srv);
    const ctx: TenantContext = {
      requestId: 'direct',
      userId: newId(),
      email: 'owner@example.com',
      sessionId: newId(),
      tenantId: tenant.id,
      membershipId: membership.id,
      roles: ['owner'],
      entitlements: [...ENTITLEMENTS],
      permissions: permissionsFor(['owner'], ENTITLEMENTS),
      guardianOnly: false,
      ip: null,
      userAgent: null,
    };
    await expect(srv.container.tenancy.updateTenant(ctx, { name: 'Direct', notifications: { digestAt: '09:00' }, billing: { dueDay: 'soon' } })).rejects.toMatchObject({ name: 'ZodError' });
    const t = ok(await owner.get('/tenant'));
    expect(t).toMatchObject({ name: 'Test Centre', notifications: { digestAt: '18:00' } });
  });
});
