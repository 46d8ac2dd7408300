import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

/** CONTRACT §3/§5: nothing is joined at sign-in; an invitation joins only when its email accepts it. */
describe('invitations need consent', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv.close());

  it('a look-alike centre inviting a parent gets nothing at the parent’s sign-in; the parent sees the invitation', async () => {
    const { owner, tenant } = await newTenant(srv, { name: 'Sunshine Early Learning' });
    const parent = uniqueEmail('parent');
    const inv = await owner.post('/memberships', { email: parent, roles: ['guardian'] });
    expect(inv.status).toBe(201);
    const a = srv.agent();
    const ex = await a.post('/auth/exchange', { accessToken: await srv.token(parent) });
    expect(ex.status).toBe(200);
    expect(ex.body.memberships).toEqual([]);
    expect(ex.body.activeMembershipId).toBeNull();
    expect(ex.body.invitations).toEqual([{ id: inv.body.id, tenantId: tenant.id, tenantName: 'Sunshine Early Learning', roles: ['guardian'] }]);
    // Not a member: no centre, and the inviter's member list still shows an invitation.
    expect((await a.get('/me/context')).body.tenant).toBeNull();
    expect((await a.get('/students')).status).toBe(403);
    const list = await owner.get('/memberships');
    expect(list.body.items.find((m: any) => m.id === inv.body.id)).toMatchObject({ status: 'invited', userId: null });
    // A second sign-in joins nothing either.
    const again = await srv.agent().post('/auth/exchange', { accessToken: await srv.token(parent) });
    expect(again.body.memberships).toEqual([]);
  });

  it('GET /invitations lists them; accept → 200 the same membership, active; the session stays; switch goes there', async () => {
    const { owner, tenant } = await newTenant(srv, { name: 'Acorns' });
    const email = uniqueEmail('teacher');
    const inv = await owner.post('/memberships', { email, roles: ['teacher'], entitlements: ['messaging'] });
    const a = await srv.signIn(email);
    const listed = await a.get('/invitations');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [{ id: inv.body.id, tenantId: tenant.id, tenantName: 'Acorns', roles: ['teacher'] }], nextCursor: null });
    const acc = await a.post(`/invitations/${inv.body.id}/accept`, {});
    expect(acc.status, acc.text).toBe(200);
    expect(acc.body.membership).toMatchObject({ id: inv.body.id, tenantId: tenant.id, email, roles: ['teacher'], entitlements: ['messaging'], status: 'active' });
    expect(acc.body.membership.userId).toBeTruthy();
    expect((await a.get('/me/context')).body.tenant).toBeNull(); // the session stays where it was
    expect((await a.get('/invitations')).body.items).toEqual([]);
    expect((await a.post('/auth/switch', { membershipId: inv.body.id })).status).toBe(200);
    expect((await a.get('/me/context')).body.tenant.id).toBe(tenant.id);
    expect((await a.get('/students')).status).toBe(200);
    // Already accepted → 404, for accept and for decline.
    expect((await a.post(`/invitations/${inv.body.id}/accept`, {})).status).toBe(404);
    expect((await a.post(`/invitations/${inv.body.id}/decline`, {})).status).toBe(404);
  });

  it('decline → 204 and the invitation is gone; another email’s invitation → 404; nonsense ids → 404', async () => {
    const { owner } = await newTenant(srv);
    const email = uniqueEmail('parent');
    const inv = await owner.post('/memberships', { email, roles: ['guardian'] });
    const other = await srv.signIn(uniqueEmail('intruder'));
    expect((await other.post(`/invitations/${inv.body.id}/accept`, {})).status).toBe(404);
    expect((await other.post(`/invitations/${inv.body.id}/decline`, {})).status).toBe(404);
    expect((await other.get('/invitations')).body.items).toEqual([]);
    expect((await other.post('/invitations/not-an-id/accept', {})).status).toBe(404);
    const a = await srv.signIn(email);
    expect((await a.post(`/invitations/${inv.body.id}/decline`, {})).status).toBe(204);
    expect((await a.post(`/invitations/${inv.body.id}/decline`, {})).status).toBe(404);
    expect((await a.post(`/invitations/${inv.body.id}/accept`, {})).status).toBe(404);
    expect((await a.get('/invitations')).body.items).toEqual([]);
    expect((await owner.get('/memberships')).body.items.some((m: any) => m.id === inv.body.id)).toBe(false);
  });

  it('the inviting centre’s audit log records the answer without the invitee’s IP or user agent', async () => {
    const { owner } = await newTenant(srv);
    const accepted = uniqueEmail('teacher');
    const declined = uniqueEmail('parent');
    const i1 = await owner.post('/memberships', { email: accepted, roles: ['teacher'] });
    const i2 = await owner.post('/memberships', { email: declined, roles: ['guardian'] });
    const a = await srv.signIn(accepted);
    const b = await srv.signIn(declined);
    expect((await a.post(`/invitations/${i1.body.id}/accept`, {}, { 'user-agent': 'Invitee-Browser/1.0' })).status).toBe(200);
    expect((await b.post(`/invitations/${i2.body.id}/decline`, {}, { 'user-agent': 'Invitee-Browser/1.0' })).status).toBe(204);
    const log = (await owner.get('/audit-logs?limit=200')).body.items as any[];
    const acc = log.find((e) => e.action === 'membership.accepted' && e.targetId === i1.body.id);
    const dec = log.find((e) => e.action === 'membership.declined' && e.targetId === i2.body.id);
    expect(acc).toMatchObject({ ip: null, userAgent: null });
    expect(dec).toMatchObject({ ip: null, userAgent: null });
    // Nothing else in the centre's log carries the invitees' addresses or browsers.
    expect(log.some((e) => e.userAgent === 'Invitee-Browser/1.0')).toBe(false);
    expect(log.some((e) => e.action === 'auth.exchange' && e.actorUserId === acc.actorUserId)).toBe(false);
  });
});

describe('creation and invitation limits', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ env: { RATE_LIMIT_TENANTS_PER_ACCOUNT_PER_DAY: '2', RATE_LIMIT_INVITATIONS_PER_TENANT_PER_HOUR: '3' } });
  });
  afterAll(() => srv.close());

  it('one account creates at most N centres a day → 429 RATE_LIMITED with Retry-After; another account is unaffected', async () => {
    const a = await srv.signIn(uniqueEmail());
    expect((await a.post('/tenants', { name: 'A1', timezone: 'UTC' })).status).toBe(201);
    expect((await a.post('/tenants', { name: 'A2', timezone: 'UTC' })).status).toBe(201);
    const third = await a.post('/tenants', { name: 'A3', timezone: 'UTC' });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('RATE_LIMITED');
    const retry = Number(third.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    // A sliding window (core/rate-limits.ts): at most the window plus the window / N when the N came at its start.
    expect(retry).toBeLessThanOrEqual(86_400 + 86_400 / 2);
    const b = await srv.signIn(uniqueEmail());
    expect((await b.post('/tenants', { name: 'B1', timezone: 'UTC' })).status).toBe(201);
  });

  it('one centre sends at most N invitations an hour → 429 with Retry-After; another centre is unaffected', async () => {
    const { owner } = await newTenant(srv);
    for (let i = 0; i < 3; i++) expect((await owner.post('/memberships', { email: uniqueEmail(), roles: ['guardian'] })).status).toBe(201);
    const over = await owner.post('/memberships', { email: uniqueEmail(), roles: ['guardian'] });
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600 + 3600 / 3);
    const other = await newTenant(srv);
    expect((await other.owner.post('/memberships', { email: uniqueEmail(), roles: ['guardian'] })).status).toBe(201);
  });
});
