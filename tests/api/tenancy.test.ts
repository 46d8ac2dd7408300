import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addMember, newTenant, uniqueEmail } from '../helpers/server.js';
import { useServer } from '../factories/index.js';

describe('tenancy, memberships and roles', () => {
  const srv = useServer();

  it('POST /tenants: validation, unknown time zone, and the caller becomes owner', async () => {
    const a = await srv.signIn(uniqueEmail());
    expect((await a.get('/tenant')).status).toBe(403);
    expect((await a.post('/tenants', { name: '', timezone: 'UTC' })).status).toBe(400);
    const tz = await a.post('/tenants', { name: 'X', timezone: 'Mars/Olympus' });
    expect(tz.status).toBe(422);
    const r = await a.post('/tenants', { name: 'Sunny Days', timezone: 'Europe/London' });
    expect(r.status).toBe(201);
    expect(r.body.membership.roles).toEqual(['owner']);
    expect(r.body.membership.entitlements).toEqual(['messaging', 'reports', 'imports', 'billing']);
    const t = await a.get('/tenant');
    expect(t.body).toMatchObject({ name: 'Sunny Days', timezone: 'Europe/London', version: 1 });
    expect(t.headers.get('etag')).toBe('"1"');
  });

  it('a tenantId smuggled into the body or query is ignored', async () => {
    const { owner, tenant } = await newTenant(srv);
    const other = await newTenant(srv);
    const r = await owner.patch(`/tenant?tenantId=${other.tenant.id}`, { name: 'Renamed' });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(tenant.id);
    expect((await other.owner.get('/tenant')).body.name).toBe('Test Centre');
    expect((await owner.patch('/tenant', { tenantId: other.tenant.id, name: 'Y' })).status).toBe(400);
  });

  it('PATCH /tenant: owner only, If-Match', async () => {
    const { owner } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    expect((await admin.agent.patch('/tenant', { name: 'Nope' })).status).toBe(403);
    expect((await owner.patch('/tenant', { name: 'v2' }, { 'if-match': '"1"' })).status).toBe(200);
    const stale = await owner.patch('/tenant', { name: 'v3' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    expect((await owner.patch('/tenant', { closingTime: '25:00' })).status).toBe(400);
    expect((await owner.patch('/tenant', { timezone: 'Nowhere/Land' })).status).toBe(422);
  });

  it('invitations become active memberships when accepted, with the named entitlements', async () => {
    const { owner, tenant } = await newTenant(srv);
    const email = uniqueEmail('teacher');
    const inv = await owner.post('/memberships', { email: email.toUpperCase(), roles: ['teacher'], entitlements: ['messaging'] });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({ status: 'invited', userId: null, email });
    const dup = await owner.post('/memberships', { email, roles: ['teacher'] });
    expect(dup.status).toBe(409);
    const a = srv.agent();
    const ex = await a.post('/auth/exchange', { accessToken: await srv.token(email) });
    expect(ex.body.memberships).toHaveLength(0);
    expect(ex.body.invitations).toEqual([{ id: inv.body.id, tenantId: tenant.id, tenantName: 'Test Centre', roles: ['teacher'] }]);
    const acc = await a.post(`/invitations/${inv.body.id}/accept`, {});
    expect(acc.status, acc.text).toBe(200);
    expect(acc.body.membership).toMatchObject({ id: inv.body.id, tenantId: tenant.id, roles: ['teacher'], entitlements: ['messaging'], status: 'active' });
    const list = await owner.get('/memberships');
    expect(list.body.items.find((m: any) => m.id === inv.body.id).status).toBe('active');
  });

  it('invitation validation', async () => {
    const { owner } = await newTenant(srv);
    expect((await owner.post('/memberships', { email: 'not-an-email', roles: ['teacher'] })).status).toBe(400);
    expect((await owner.post('/memberships', { email: uniqueEmail(), roles: [] })).status).toBe(400);
    expect((await owner.post('/memberships', { email: uniqueEmail(), roles: ['janitor'] })).status).toBe(400);
    expect((await owner.post('/memberships', { email: uniqueEmail(), roles: ['teacher'], entitlements: ['spaceflight'] })).status).toBe(400);
  });

  it('role table for tenancy routes', async () => {
    const { owner } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    for (const who of [teacher, guardian]) {
      expect((await who.agent.get('/memberships')).status).toBe(403);
      expect((await who.agent.post('/memberships', { email: uniqueEmail(), roles: ['teacher'] })).status).toBe(403);
      expect((await who.agent.get('/audit-logs')).status).toBe(403);
      expect((await who.agent.get('/tenant')).status).toBe(200);
    }
    expect((await admin.agent.get('/memberships')).status).toBe(200);
    expect((await admin.agent.get('/audit-logs')).status).toBe(200);
    // Admins cannot grant owner.
    expect((await admin.agent.post('/memberships', { email: uniqueEmail(), roles: ['owner'] })).status).toBe(403);
    expect((await admin.agent.patch(`/memberships/${teacher.membershipId}`, { roles: ['owner'] })).status).toBe(403);
    expect((await owner.patch(`/memberships/${teacher.membershipId}`, { roles: ['admin', 'teacher'] })).status).toBe(200);
  });

  it('admins cannot remove owners; the last active owner cannot be demoted, suspended or removed', async () => {
    const { owner, membership } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    expect((await admin.agent.delete(`/memberships/${membership.id}`)).status).toBe(403);
    expect((await owner.patch(`/memberships/${membership.id}`, { roles: ['admin'] })).status).toBe(409);
    expect((await owner.patch(`/memberships/${membership.id}`, { status: 'suspended' })).status).toBe(409);
    expect((await owner.delete(`/memberships/${membership.id}`)).status).toBe(409);
    const second = await addMember(srv, owner, ['owner']);
    expect((await second.agent.patch(`/memberships/${membership.id}`, { roles: ['admin'] })).status).toBe(200);
  });

  it('a role change takes effect on the very next request', async () => {
    const { owner } = await newTenant(srv);
    const member = await addMember(srv, owner, ['admin']);
    expect((await member.agent.get('/memberships')).status).toBe(200);
    expect((await owner.patch(`/memberships/${member.membershipId}`, { roles: ['teacher'] })).status).toBe(200);
    expect((await member.agent.get('/memberships')).status).toBe(403);
    const ctx = await member.agent.get('/me/context');
    expect(ctx.body.roles).toEqual(['teacher']);
    expect(ctx.body.permissions).not.toContain('members:manage');
    expect((await owner.patch(`/memberships/${member.membershipId}`, { roles: ['admin'] })).status).toBe(200);
    expect((await member.agent.get('/memberships')).status).toBe(200);
  });

  it('a suspension takes effect on the next request, and reactivation restores access', async () => {
    const { owner } = await newTenant(srv);
    const member = await addMember(srv, owner, ['admin']);
    expect((await owner.patch(`/memberships/${member.membershipId}`, { status: 'suspended' })).status).toBe(200);
    expect((await member.agent.get('/tenant')).status).toBe(403);
    expect((await member.agent.get('/memberships')).status).toBe(403);
    const ctx = await member.agent.get('/me/context');
    expect(ctx.body.tenant).toBeNull();
    expect(ctx.body.permissions).toEqual([]);
    expect((await owner.patch(`/memberships/${member.membershipId}`, { status: 'active' })).status).toBe(200);
    expect((await member.agent.get('/memberships')).status).toBe(200);
  });

  it('a removed member loses access on the next request; another tenant’s membership id is 404', async () => {
    const { owner } = await newTenant(srv);
    const member = await addMember(srv, owner, ['admin']);
    const other = await newTenant(srv);
    expect((await owner.patch(`/memberships/${other.membership.id}`, { roles: ['teacher'] })).status).toBe(404);
    expect((await owner.delete(`/memberships/${other.membership.id}`)).status).toBe(404);
    expect((await owner.delete('/memberships/not-a-uuid')).status).toBe(404);
    expect((await owner.delete(`/memberships/${member.membershipId}`)).status).toBe(204);
    expect((await member.agent.get('/memberships')).status).toBe(403);
    expect((await owner.delete(`/memberships/${member.membershipId}`)).status).toBe(404);
  });

  it('an entitlement change bites at once', async () => {
    const { owner, membership } = await newTenant(srv);
    const admin = await addMember(srv, owner, ['admin']);
    expect((await admin.agent.get('/me/context')).body.permissions).toContain('reports:run');
    expect((await owner.patch(`/memberships/${admin.membershipId}`, { entitlements: ['messaging'] })).status).toBe(200);
    const ctx = (await admin.agent.get('/me/context')).body;
    expect(ctx.permissions).not.toContain('reports:run');
    expect(ctx.menu.map((m: any) => m.id)).not.toContain('reports');
    expect(membership.id).toBeTruthy();
  });

  it('audit rows for auth events and membership changes; the log is tenant-scoped and paginated', async () => {
    const { owner, tenant } = await newTenant(srv);
    const member = await addMember(srv, owner, ['teacher']);
    await owner.patch(`/memberships/${member.membershipId}`, { roles: ['admin'] });
    await srv.signIn(member.email); // a sign-in with an active membership is audited in its centre
    expect((await member.agent.post('/auth/refresh')).status).toBe(200);
    expect((await member.agent.post('/auth/logout')).status).toBe(204);
    await owner.patch(`/memberships/${member.membershipId}`, { status: 'suspended' });
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await owner.get(`/audit-logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    const actions = all.map((e) => e.action);
    for (const a of ['tenant.created', 'membership.invited', 'membership.accepted', 'auth.switch', 'role.assigned', 'membership.suspended', 'auth.exchange', 'auth.refresh', 'auth.logout'])
      expect(actions, a).toContain(a);
    const roleRow = all.find((e) => e.action === 'role.assigned');
    expect(roleRow).toMatchObject({ before: { roles: ['teacher'] }, after: { roles: ['admin'] } });
    expect(all.find((e) => e.action === 'auth.exchange').requestId).toBeTruthy();
    const filtered = await owner.get('/audit-logs?action=membership.suspended');
    expect(filtered.body.items.every((e: any) => e.action === 'membership.suspended')).toBe(true);
    const other = await newTenant(srv);
    const theirs = await other.owner.get('/audit-logs?limit=200');
    expect(theirs.body.items.some((e: any) => e.targetId === tenant.id)).toBe(false);
    expect((await owner.get('/audit-logs?cursor=garbage')).status).toBe(400);
    // The table refuses changes, even through a raw connection.
    await expect(srv.container.db.raw.execute(sql`update audit_logs set action = 'x' where tenant_id = ${tenant.id}`)).rejects.toThrow();
  });
});
