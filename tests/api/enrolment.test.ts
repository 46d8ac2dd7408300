import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditActions, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';
import { apply, application, fakeBilling, recordingNotify, START } from './enrolment.helpers.js';

const PLAN = '0196f1a4-0000-7000-8000-00000000beef';
const notifications = recordingNotify();
const billing = fakeBilling(PLAN);
const clock = new ManualClock();
const NIL = '00000000-0000-7000-8000-000000000000';

describe('enrolment: applications, waitlist, offers, accepting', () => {
  const srv = useServer({ clock, enrolment: { notify: notifications.notify, billing: billing.port } });
  const tick = () => clock.advance(1000);

  describe('applications', () => {
    it('records an application: waitlisted, no offer, the tier and rankAt, audited', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const r = await owner.post('/applications', application({ roomId: room.id, staffChild: true, notes: 'Allergic to cats' }));
      expect(r.status, r.text).toBe(201);
      expect(r.headers.get('etag')).toBe('"1"');
      expect(r.body).toMatchObject({ status: 'waitlisted', offer: null, studentId: null, possibleDuplicateOfId: null, tier: 1, roomId: room.id, staffChild: true });
      expect(r.body.rankAt).toBe(r.body.submittedAt);
      expect((await owner.get(`/applications/${r.body.id}`)).body).toEqual(r.body);
      const list = await owner.get('/applications?status=waitlisted');
      expect(list.body.items.map((a: any) => a.id)).toEqual([r.body.id]);
      expect((await owner.get('/applications?status=offered')).body.items).toEqual([]);
      const audit = await auditActions(owner, 'application.created');
      expect(audit[0]).toMatchObject({ targetId: r.body.id });
    });

    it('flags a possible duplicate (a child of the centre or another open application, same names and birth date) to staff', async () => {
      const { owner } = await newCentre(srv);
      const kid = await mkStudent(owner, { firstName: 'Lena', lastName: 'Marsh', dateOfBirth: '2023-01-02' });
      const a = await apply(owner, { child: { firstName: 'lena', lastName: 'MARSH', dateOfBirth: '2023-01-02' } });
      expect(a.possibleDuplicateOfId).toBe(kid.id);
      const first = await apply(owner, { child: { firstName: 'Ola', lastName: 'Nord', dateOfBirth: '2023-01-02' } });
      const second = await apply(owner, { child: { firstName: 'Ola', lastName: 'Nord', dateOfBirth: '2023-01-02' } });
      expect(first.possibleDuplicateOfId).toBeNull();
      expect(second.possibleDuplicateOfId).toBe(first.id);
    });

    it('a room that is not the centre’s → 404; a sibling that is not its child gives no priority; bad input → 400', async () => {
      const { owner } = await newCentre(srv);
      const other = await newCentre(srv);
      const theirRoom = await mkRoom(other.owner);
      const r = await owner.post('/applications', application({ roomId: theirRoom.id }));
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
      const theirKid = await mkStudent(other.owner);
      expect((await apply(owner, { siblingStudentId: theirKid.id })).tier).toBe(2);
      for (const bad of [{ child: { firstName: 'x'.repeat(101), lastName: 'y', dateOfBirth: '2024-01-01' } }, { desiredStartDate: '2026-02-30' }, { guardian: { firstName: 'a', lastName: 'b', email: 'nope' } }, { status: 'enrolled' }]) {
        const res = await owner.post('/applications', application(bad));
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
      }
    });

    it('PATCH changes fields with If-Match (412 when stale); naming status → 400; another centre’s id → 404', async () => {
      const { owner } = await newCentre(srv);
      const other = await newCentre(srv);
      const a = await apply(owner);
      const p = await owner.patch(`/applications/${a.id}`, { notes: 'Called back', staffChild: true }, { 'if-match': '"1"' });
      expect(p.status, p.text).toBe(200);
      expect(p.body).toMatchObject({ notes: 'Called back', staffChild: true, tier: 1, version: 2 });
      expect((await owner.patch(`/applications/${a.id}`, { notes: 'x' }, { 'if-match': '"1"' })).status).toBe(412);
      const s = await owner.patch(`/applications/${a.id}`, { status: 'enrolled' });
      expect(s.status).toBe(400);
      expect(s.body.error.code).toBe('VALIDATION_ERROR');
      expect((await other.owner.get(`/applications/${a.id}`)).status).toBe(404);
      expect((await other.owner.patch(`/applications/${a.id}`, { notes: 'x' })).status).toBe(404);
      expect((await other.owner.post(`/applications/${a.id}/withdraw`, { reason: 'x' })).status).toBe(404);
      const audit = await auditActions(owner, 'application.updated');
      expect(audit[0]).toMatchObject({ targetId: a.id, before: { notes: null }, after: { notes: 'Called back' } });
    });

    it('teachers and guardians may not touch applications (403)', async () => {
      const { owner } = await newCentre(srv);
      const a = await apply(owner);
      for (const role of ['teacher', 'guardian']) {
        const { agent } = await addMember(srv, owner, [role]);
        for (const res of [await agent.get('/applications'), await agent.get(`/applications/${a.id}`), await agent.get('/waitlist'), await agent.post(`/applications/${a.id}/withdraw`, { reason: 'x' })]) {
          expect(res.status, role).toBe(403);
          expect(res.body.error.code).toBe('FORBIDDEN');
        }
      }
    });
  });

  describe('the waitlist order', () => {
    it('orders by tier, then rankAt, then id, with positions; sibling re-evaluated on every read; settings through PATCH /tenant', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const sibling = await mkStudent(owner, { roomId: room.id });
      const plain1 = await apply(owner);
      tick();
      const staffKid = await apply(owner, { staffChild: true });
      tick();
      const sib = await apply(owner, { siblingStudentId: sibling.id });
      tick();
      const plain2 = await apply(owner, { roomId: room.id });
      tick();
      const elsewhere = await apply(owner, { roomId: (await mkRoom(owner)).id });
      const ids = async (q = '') => (await owner.get(`/waitlist${q}`)).body.items.map((a: any) => [a.id, a.position, a.tier]);
      expect(await ids()).toEqual([
        [sib.id, 1, 0],
        [staffKid.id, 2, 1],
        [plain1.id, 3, 2],
        [plain2.id, 4, 2],
        [elsewhere.id, 5, 2],
      ]);
      // For a room: the applications naming it or none; paged with positions that continue.
      const page1 = await owner.get(`/waitlist?roomId=${room.id}&limit=2`);
      const page2 = await owner.get(`/waitlist?roomId=${room.id}&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
      expect([...page1.body.items, ...page2.body.items].map((a: any) => [a.id, a.position])).toEqual([
        [sib.id, 1],
        [staffKid.id, 2],
        [plain1.id, 3],
        [plain2.id, 4],
      ]);
      expect(page2.body.nextCursor).toBeNull();
      expect((await owner.get(`/waitlist?startBy=2000-01-01`)).body.items).toEqual([]);
      // The sibling leaves: the application no longer rises.
      expect((await owner.delete(`/students/${sibling.id}`)).status).toBe(204);
      expect((await ids()).map((x: any) => x[0])).toEqual([staffKid.id, plain1.id, sib.id, plain2.id, elsewhere.id]);
      expect((await owner.get(`/applications/${sib.id}`)).body.tier).toBe(2);
      // Staff first, no sibling priority at all.
      const t = await owner.patch('/tenant', { waitlist: { priorities: ['staff'], offerHoldHours: 24 } });
      expect(t.status, t.text).toBe(200);
      expect(t.body.waitlist).toEqual({ priorities: ['staff'], offerHoldHours: 24, applicationRetentionMonths: 24 });
      expect((await owner.get('/tenant')).body.waitlist).toEqual({ priorities: ['staff'], offerHoldHours: 24, applicationRetentionMonths: 24 });
      expect((await ids()).map((x: any) => [x[0], x[2]])).toEqual([
        [staffKid.id, 0],
        [plain1.id, 1],
        [sib.id, 1],
        [plain2.id, 1],
        [elsewhere.id, 1],
      ]);
      const bad = await owner.patch('/tenant', { waitlist: { priorities: ['vip'] } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      expect((await auditActions(owner, 'waitlist.settings_updated'))[0]).toMatchObject({ before: { priorities: ['sibling', 'staff'] }, after: { priorities: ['staff'] } });
    });

    it('GET /tenant shows the default waitlist settings', async () => {
      const { owner } = await newCentre(srv);
      expect((await owner.get('/tenant')).body.waitlist).toEqual({ priorities: ['sibling', 'staff'], offerHoldHours: 72, applicationRetentionMonths: 24 });
    });
  });

  describe('offers', () => {
    it('offers the first in order; out of order needs a reason (audited); the applicant gets offer.made', async () => {
      const { owner, tenant } = await newCentre(srv);
      const room = await mkRoom(owner, { capacity: 5 });
      const first = await apply(owner, { roomId: room.id });
      tick();
      const second = await apply(owner, { roomId: room.id });
      const no = await owner.post(`/applications/${second.id}/offer`, { roomId: room.id, startDate: START });
      expect(no.status).toBe(422);
      expect(no.body.error.code).toBe('UNPROCESSABLE');
      const out = await owner.post(`/applications/${second.id}/offer`, { roomId: room.id, startDate: START, outOfOrderReason: 'Twin of an enrolled child' });
      expect(out.status, out.text).toBe(200);
      expect(out.body.status).toBe('offered');
      expect(out.body.offer).toMatchObject({ roomId: room.id, startDate: START, planId: null, outOfOrderReason: 'Twin of an enrolled child' });
      expect(Date.parse(out.body.offer.expiresAt) - clock.now().getTime()).toBe(72 * 3600_000);
      const audit = await auditActions(owner, 'application.offered');
      expect(audit[0]).toMatchObject({ targetId: second.id, before: { status: 'waitlisted' }, after: { status: 'offered', offer: { outOfOrderReason: 'Twin of an enrolled child' } } });
      const ok = await owner.post(`/applications/${first.id}/offer`, { roomId: room.id, startDate: START });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.offer.outOfOrderReason).toBeNull();
      const made = notifications.calls.filter((c) => c.tenantId === tenant.id && c.req.type === 'offer.made');
      expect(made.map((c) => c.req.subject)).toEqual([
        { type: 'application', id: second.id },
        { type: 'application', id: first.id },
      ]);
      expect(made[1]!.req.recipients).toEqual({ emails: [first.guardian.email] });
      expect(made[1]!.req.data).toMatchObject({ childFirstName: first.child.firstName, offerToken: expect.stringMatching(/^dco1_[A-Za-z0-9_-]{80,}$/) });
      // The token is not in any answer, and not stored in clear.
      expect(JSON.stringify((await owner.get(`/applications/${first.id}`)).body)).not.toContain(notifications.offerToken(first.id));
    });

    it('checks in the contract’s order: not waitlisted 409, deadline or start date 422, capacity 409', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner, { capacity: 2 });
      await mkStudent(owner, { roomId: room.id });
      const a = await apply(owner, { roomId: room.id });
      const now = clock.now().getTime();
      for (const body of [
        { roomId: room.id, startDate: START, expiresAt: new Date(now).toISOString() },
        { roomId: room.id, startDate: START, expiresAt: new Date(now + 31 * 86_400_000).toISOString() },
        { roomId: room.id, startDate: '2020-01-01' },
      ]) {
        const r = await owner.post(`/applications/${a.id}/offer`, body);
        expect(r.status, JSON.stringify(body)).toBe(422);
      }
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: NIL, startDate: START })).status).toBe(404);
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START })).status).toBe(200);
      // Offered → offering again is 409 (before any other check).
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: '2020-01-01' })).status).toBe(409);
      // The room: one child + one live offer = capacity 2 → the next offer is 409.
      const b = await apply(owner, { roomId: room.id });
      const full = await owner.post(`/applications/${b.id}/offer`, { roomId: room.id, startDate: START });
      expect(full.status, full.text).toBe(409);
      expect(full.body.error.code).toBe('CONFLICT');
    });

    it('two offers racing for the last place: exactly one wins', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner, { capacity: 1 });
      const apps = [];
      for (let i = 0; i < 4; i++) apps.push(await apply(owner, { roomId: room.id }));
      const res = await Promise.all(apps.map((a) => owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, outOfOrderReason: 'race' })));
      expect(res.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
      expect((await owner.get('/applications?status=offered')).body.items).toHaveLength(1);
    });

    it('a plan needs the billing entitlement (403) and an active plan (422); accepting subscribes through the billing port', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const a = await apply(owner, { roomId: room.id });
      const { agent: admin } = await addMember(srv, owner, ['admin'], { entitlements: ['messaging'] });
      const noEnt = await admin.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: PLAN });
      expect(noEnt.status).toBe(403);
      expect(noEnt.body.error.code).toBe('FORBIDDEN');
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: NIL })).status).toBe(422);
      const ok = await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: PLAN });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.offer.planId).toBe(PLAN);
      const acc = await owner.post(`/applications/${a.id}/accept`);
      expect(acc.status, acc.text).toBe(200);
      expect(billing.enrolled.filter((e) => e.studentId === acc.body.studentId)).toEqual([{ guardianId: acc.body.guardianId, studentId: acc.body.studentId, planId: PLAN, startDate: START }]);
    });
  });

  describe('accepting, declining, withdrawing, reinstating', () => {
    it('accept: guardian found or created, the child enrolled in the room and linked, the email invited; a replay creates nothing twice', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const a = await apply(owner, { roomId: room.id, notes: 'Loves trains' });
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START })).status).toBe(200);
      const headers = { 'idempotency-key': `acc-${a.id}` };
      const r = await owner.post(`/applications/${a.id}/accept`, undefined, headers);
      expect(r.status, r.text).toBe(200);
      expect(r.body.application).toMatchObject({ id: a.id, status: 'enrolled', studentId: r.body.studentId, guardianId: r.body.guardianId, membershipId: r.body.membershipId });
      const again = await owner.post(`/applications/${a.id}/accept`, undefined, headers);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(r.body);
      expect((await owner.post(`/applications/${a.id}/accept`)).status).toBe(409);
      const kid = (await owner.get(`/students/${r.body.studentId}`)).body;
      expect(kid).toMatchObject({ firstName: a.child.firstName, lastName: a.child.lastName, dateOfBirth: a.child.dateOfBirth, roomId: room.id, status: 'enrolled', notes: null });
      const links = (await owner.get(`/students/${r.body.studentId}/guardians`)).body.items;
      expect(links).toHaveLength(1);
      expect(links[0]).toMatchObject({ id: r.body.guardianId, email: a.guardian.email, relationship: 'parent', authorizedPickup: true, emergencyContact: true, canViewRecords: true });
      const members = (await owner.get('/memberships?limit=200')).body.items.filter((m: any) => m.email === a.guardian.email);
      expect(members).toEqual([expect.objectContaining({ id: r.body.membershipId, roles: ['guardian'], status: 'invited' })]);
      expect((await owner.get('/students?limit=200')).body.items.filter((s: any) => s.firstName === a.child.firstName)).toHaveLength(1);
      expect((await auditActions(owner, 'application.accepted'))[0]).toMatchObject({ targetId: a.id, before: { status: 'offered' }, after: { status: 'enrolled' } });
      expect((await auditActions(owner, 'membership.invited')).some((x) => x.targetId === r.body.membershipId)).toBe(true);
    });

    it('accept reuses the guardian with that email (any case) and invites nobody who already has a membership', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const { email } = await addMember(srv, owner, ['guardian']);
      const g = await owner.post('/guardians', { firstName: 'Known', lastName: 'Parent', email });
      const a = await apply(owner, { roomId: room.id, guardian: { firstName: 'Known', lastName: 'Parent', email: email.toUpperCase() } });
      await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START });
      const r = await owner.post(`/applications/${a.id}/accept`);
      expect(r.status, r.text).toBe(200);
      expect(r.body.guardianId).toBe(g.body.id);
      expect(r.body.membershipId).toBeNull();
    });

    it('two accepts at once: one enrols, the other is 409, and one child exists', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const a = await apply(owner, { roomId: room.id });
      await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START });
      const res = await Promise.all([1, 2, 3].map(() => owner.post(`/applications/${a.id}/accept`)));
      expect(res.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect((await owner.get('/students?limit=200')).body.items.filter((s: any) => s.firstName === a.child.firstName)).toHaveLength(1);
    });

    it('from expiresAt on the offer is expired on every read, and accept at that instant → 409; reinstate puts it back', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner, { capacity: 1 });
      const a = await apply(owner, { roomId: room.id });
      const expiresAt = new Date(clock.now().getTime() + 60_000);
      expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, expiresAt: expiresAt.toISOString() })).status).toBe(200);
      clock.set(new Date(expiresAt.getTime() - 1));
      expect((await owner.get(`/applications/${a.id}`)).body.status).toBe('offered');
      clock.set(expiresAt);
      expect((await owner.get(`/applications/${a.id}`)).body.status).toBe('expired');
      expect((await owner.get('/applications?status=expired')).body.items.map((x: any) => x.id)).toEqual([a.id]);
      expect((await owner.get('/applications?status=offered')).body.items).toEqual([]);
      const acc = await owner.post(`/applications/${a.id}/accept`);
      expect(acc.status).toBe(409);
      expect((await owner.post(`/applications/${a.id}/decline`, {})).status).toBe(409);
      // The expired offer no longer holds the place.
      const b = await apply(owner, { roomId: room.id });
      expect((await owner.post(`/applications/${b.id}/offer`, { roomId: room.id, startDate: START })).status).toBe(200);
      const re = await owner.post(`/applications/${a.id}/reinstate`);
      expect(re.status, re.text).toBe(200);
      expect(re.body).toMatchObject({ status: 'waitlisted', offer: null, rankAt: clock.now().toISOString() });
    });

    it('decline (back on the list with a new rankAt, or not), withdraw needs a reason, wrong moves → 409', async () => {
      const { owner } = await newCentre(srv);
      const room = await mkRoom(owner);
      const a = await apply(owner, { roomId: room.id });
      tick();
      const b = await apply(owner, { roomId: room.id });
      await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START });
      tick();
      const d = await owner.post(`/applications/${a.id}/decline`, { returnToWaitlist: true });
      expect(d.status, d.text).toBe(200);
      expect(d.body).toMatchObject({ status: 'waitlisted', offer: null, rankAt: clock.now().toISOString() });
      expect((await owner.get('/waitlist')).body.items.map((x: any) => x.id)).toEqual([b.id, a.id]);
      await owner.post(`/applications/${b.id}/offer`, { roomId: room.id, startDate: START });
      expect((await owner.post(`/applications/${b.id}/decline`, {})).body.status).toBe('declined');
      expect((await owner.post(`/applications/${b.id}/withdraw`, { reason: 'x' })).status).toBe(409);
      expect((await owner.post(`/applications/${b.id}/accept`)).status).toBe(409);
      const noReason = await owner.post(`/applications/${a.id}/withdraw`, {});
      expect(noReason.status).toBe(400);
      const w = await owner.post(`/applications/${a.id}/withdraw`, { reason: 'Moved away' });
      expect(w.body).toMatchObject({ status: 'withdrawn', withdrawReason: 'Moved away' });
      expect((await owner.post(`/applications/${a.id}/reinstate`)).body.status).toBe('waitlisted');
      expect((await owner.post(`/applications/${a.id}/reinstate`)).status).toBe(409);
      const actions = (await owner.get('/audit-logs?limit=200')).body.items.filter((x: any) => x.targetId === a.id).map((x: any) => x.action);
      expect(actions.sort()).toEqual(['application.created', 'application.declined', 'application.offered', 'application.reinstated', 'application.withdrawn']);
    });
  });

  describe('retention', () => {
    // Its own database: the cleanup runs two years ahead and purges every session it finds expired by then — on the
    // shared PostgreSQL of a run that would be other test files' fresh sessions (their next request: 401).
    const srv = useServer({ engine: 'pglite', clock, enrolment: { notify: notifications.notify, billing: billing.port } });
    it('the hourly cleanup purges applications closed longer ago than the centre keeps them (default 24 months), audited without personal data', async () => {
      const { owner } = await newCentre(srv);
      const short = await newCentre(srv);
      expect((await short.owner.patch('/tenant', { waitlist: { applicationRetentionMonths: 1 } })).status).toBe(200);
      const room = await mkRoom(owner);
      const withdrawn = await apply(owner);
      await owner.post(`/applications/${withdrawn.id}/withdraw`, { reason: 'Moved away' });
      const waiting = await apply(owner);
      const expired = await apply(owner, { roomId: room.id });
      const offered = await owner.post(`/applications/${expired.id}/offer`, { roomId: room.id, startDate: START, outOfOrderReason: 'retention', expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
      expect(offered.status, offered.text).toBe(200);
      const reinstated = await apply(owner);
      await owner.post(`/applications/${reinstated.id}/withdraw`, { reason: 'x' });
      await owner.post(`/applications/${reinstated.id}/reinstate`);
      const shortOne = await apply(short.owner);
      await short.owner.post(`/applications/${shortOne.id}/withdraw`, { reason: 'x' });
      const day = 86_400_000;
      const now = clock.now().getTime();
      await srv.container.workers.runTask('cleanup', new Date(now + 32 * day));
      expect((await short.owner.get(`/applications/${shortOne.id}`)).status).toBe(404);
      expect((await owner.get(`/applications/${withdrawn.id}`)).status).toBe(200);
      await srv.container.workers.runTask('cleanup', new Date(now + 740 * day));
      const left = (await owner.get('/applications?limit=200')).body.items.map((a: any) => a.id).sort();
      expect(left).toEqual([waiting.id, reinstated.id].sort());
      const purged = await auditActions(owner, 'application.purged');
      expect(purged.map((p) => p.targetId).sort()).toEqual([withdrawn.id, expired.id].sort());
      expect(JSON.stringify(purged)).not.toContain(withdrawn.guardian.email);
      expect(JSON.stringify(purged)).not.toContain(withdrawn.child.firstName);
    });
  });
});
