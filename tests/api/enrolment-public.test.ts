import { describe, expect, it } from 'vitest';
import { auditActions, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { apply, application, publicClient, recordingNotify, START } from './enrolment.helpers.js';

const notifications = recordingNotify();

describe('enrolment: application forms and the public routes', () => {
  const srv = useServer({ enrolment: { notify: notifications.notify } });

  async function form(owner: Awaited<ReturnType<typeof newCentre>>['owner'], name = 'Website') {
    const r = await owner.post('/application-forms', { name });
    expect(r.status, r.text).toBe(201);
    return r.body as { id: string; name: string; token: string; version: number };
  }

  it('a form’s token is shown once (never listed); deleting the form stops it', async () => {
    const { owner } = await newCentre(srv);
    const f = await form(owner);
    expect(f.token).toMatch(/^dcf1_[A-Za-z0-9_-]{80,}$/);
    const list = await owner.get('/application-forms');
    expect(list.body.items).toEqual([{ id: f.id, name: 'Website', createdAt: expect.any(String), updatedAt: expect.any(String), version: 1 }]);
    expect(list.text).not.toContain(f.token);
    const pub = publicClient(srv.url);
    expect((await pub.post('/public/applications', application(), { authorization: `Bearer ${f.token}` })).status).toBe(201);
    expect((await owner.delete(`/application-forms/${f.id}`)).status).toBe(204);
    const after = await pub.post('/public/applications', application(), { authorization: `Bearer ${f.token}` });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    expect((await owner.get('/application-forms')).body.items).toEqual([]);
    expect((await owner.delete(`/application-forms/${f.id}`)).status).toBe(404);
    expect((await auditActions(owner, 'application_form.deleted'))[0]).toMatchObject({ targetId: f.id });
  });

  it('submits through the form: 201 received, the same for a duplicate, priority fields ignored, application.received to the applicant', async () => {
    const { owner, tenant } = await newCentre(srv);
    const room = await mkRoom(owner);
    const sibling = await mkStudent(owner, { firstName: 'Known', lastName: 'Child', dateOfBirth: '2023-03-03' });
    const f = await form(owner);
    const pub = publicClient(srv.url);
    const auth = { authorization: `Bearer ${f.token}` };
    const fresh = await pub.post('/public/applications', application({ roomId: room.id, staffChild: true, siblingStudentId: sibling.id }), auth);
    const dup = await pub.post('/public/applications', application({ child: { firstName: 'Known', lastName: 'Child', dateOfBirth: '2023-03-03' } }), auth);
    expect(fresh.status, fresh.text).toBe(201);
    expect(dup.status).toBe(201);
    expect(fresh.body).toEqual({ status: 'received' });
    expect(dup.text).toBe(fresh.text);
    expect(fresh.headers.get('set-cookie')).toBeNull();
    const items = (await owner.get('/applications')).body.items;
    expect(items).toHaveLength(2);
    const [a, b] = items;
    expect(a).toMatchObject({ source: 'public', staffChild: false, siblingStudentId: null, roomId: room.id, tier: 2, possibleDuplicateOfId: null });
    expect(b).toMatchObject({ possibleDuplicateOfId: sibling.id });
    const received = notifications.calls.filter((c) => c.tenantId === tenant.id && c.req.type === 'application.received');
    expect(received.map((c) => c.req)).toEqual([
      { type: 'application.received', subject: { type: 'application', id: a.id }, recipients: { emails: [a.guardian.email] }, data: { childFirstName: a.child.firstName } },
      { type: 'application.received', subject: { type: 'application', id: b.id }, recipients: { emails: [b.guardian.email] }, data: { childFirstName: 'Known' } },
    ]);
    // Staff applications announce nothing.
    await apply(owner);
    expect(notifications.calls.filter((c) => c.tenantId === tenant.id && c.req.type === 'application.received')).toHaveLength(2);
  });

  it('hostile input: no token, a forged one, another centre’s, oversized strings and bodies; a replay with Idempotency-Key stores one application', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const f = await form(owner);
    const pub = publicClient(srv.url);
    for (const authz of [undefined, 'Bearer nope', `Bearer ${f.token.slice(0, -4)}AAAA`, `Basic ${f.token}`]) {
      const r = await pub.post('/public/applications', application(), authz ? { authorization: authz } : {});
      expect(r.status, authz).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    }
    const auth = { authorization: `Bearer ${f.token}` };
    // A session's cookie opens nothing here, and a form token opens no session route.
    expect((await owner.post('/public/applications', application())).status).toBe(401);
    expect((await pub.post('/applications', application(), auth)).status).toBe(401);
    const long = await pub.post('/public/applications', application({ notes: 'x'.repeat(2001) }), auth);
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe('VALIDATION_ERROR');
    expect((await pub.post('/public/applications', application({ extra: 1 }), auth)).status).toBe(400);
    const big = await pub.post('/public/applications', JSON.stringify({ ...application(), pad: 'x'.repeat(20_000) }), auth);
    expect(big.status).toBe(413);
    // A room of another centre is simply not kept.
    const theirRoom = await mkRoom(other.owner);
    expect((await pub.post('/public/applications', application({ roomId: theirRoom.id }), auth)).status).toBe(201);
    const key = { ...auth, 'idempotency-key': 'form-replay-1' };
    const body = application();
    const r1 = await pub.post('/public/applications', body, key);
    const r2 = await pub.post('/public/applications', body, key);
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(201);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
    const mine = (await owner.get('/applications?limit=200')).body.items;
    expect(mine.filter((a: any) => a.guardian.email === body.guardian.email)).toHaveLength(1);
    expect(mine.every((a: any) => a.roomId === null)).toBe(true);
  });

  it('more than 20 accepted submissions in an hour from one IP for one form → 429 with Retry-After; another form is counted apart', async () => {
    const { owner } = await newCentre(srv);
    const f1 = await form(owner, 'One');
    const f2 = await form(owner, 'Two');
    const pub = publicClient(srv.url);
    const send = (f: { token: string }) => pub.post('/public/applications', application(), { authorization: `Bearer ${f.token}` });
    const statuses = await Promise.all(Array.from({ length: 25 }, () => send(f1)));
    expect(statuses.filter((r) => r.status === 201)).toHaveLength(20);
    const limited = statuses.filter((r) => r.status === 429);
    expect(limited).toHaveLength(5);
    expect(limited[0]!.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    expect((await send(f2)).status).toBe(201);
    expect((await owner.get('/applications?limit=200')).body.items).toHaveLength(21);
  });

  it('the offer link: lookup, accept through it (single use), the same as staff accept', async () => {
    const { owner } = await newCentre(srv, { name: 'Little Oaks' });
    const room = await mkRoom(owner, { name: 'Acorns' });
    const a = await apply(owner, { roomId: room.id });
    expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START })).status).toBe(200);
    const token = notifications.offerToken(a.id);
    const pub = publicClient(srv.url);
    const look = await pub.post('/public/offers/lookup', { token });
    expect(look.status, look.text).toBe(200);
    expect(look.body).toEqual({ childFirstName: a.child.firstName, centreName: 'Little Oaks', roomName: 'Acorns', startDate: START, expiresAt: expect.any(String) });
    for (const bad of ['x', token.slice(0, -4) + 'AAAA', token.replace('dco1_', 'dcf1_')]) {
      const r = await pub.post('/public/offers/lookup', { token: bad });
      expect(r.status, bad).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    const key = { 'idempotency-key': 'offer-accept-1' };
    const res = await pub.post('/public/offers/respond', { token, decision: 'accept' }, key);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: 'enrolled' });
    const replay = await pub.post('/public/offers/respond', { token, decision: 'accept' }, key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const used = await pub.post('/public/offers/respond', { token, decision: 'accept' });
    expect(used.status).toBe(404);
    expect((await pub.post('/public/offers/lookup', { token })).status).toBe(404);
    const app = (await owner.get(`/applications/${a.id}`)).body;
    expect(app).toMatchObject({ status: 'enrolled', studentId: expect.any(String), guardianId: expect.any(String), membershipId: expect.any(String) });
    expect((await owner.get('/students?limit=200')).body.items.filter((s: any) => s.firstName === a.child.firstName)).toHaveLength(1);
    const audit = (await auditActions(owner, 'application.accepted'))[0];
    expect(audit).toMatchObject({ targetId: a.id, actorUserId: null, actorMembershipId: null });
  });

  it('the offer link: decline back onto the list; an expired offer → 409; a withdrawn one → 404', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner);
    const pub = publicClient(srv.url);
    const a = await apply(owner, { roomId: room.id });
    await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START });
    const d = await pub.post('/public/offers/respond', { token: notifications.offerToken(a.id), decision: 'decline', returnToWaitlist: true });
    expect(d.status, d.text).toBe(200);
    expect(d.body).toEqual({ status: 'waitlisted' });
    expect((await pub.post('/public/offers/lookup', { token: notifications.offerToken(a.id) })).status).toBe(404);
    const b = await apply(owner, { roomId: room.id });
    await owner.post(`/applications/${b.id}/offer`, { roomId: room.id, startDate: START, outOfOrderReason: 'test', expiresAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 1600));
    const exp = await pub.post('/public/offers/respond', { token: notifications.offerToken(b.id), decision: 'accept' });
    expect(exp.status).toBe(409);
    expect(exp.body.error.code).toBe('CONFLICT');
    expect((await pub.post('/public/offers/lookup', { token: notifications.offerToken(b.id) })).status).toBe(409);
    const c = await apply(owner, { roomId: room.id });
    await owner.post(`/applications/${c.id}/offer`, { roomId: room.id, startDate: START, outOfOrderReason: 'test' });
    await owner.post(`/applications/${c.id}/withdraw`, { reason: 'Family moved' });
    expect((await pub.post('/public/offers/lookup', { token: notifications.offerToken(c.id) })).status).toBe(404);
  });
});
