import { describe, expect, it } from 'vitest';
import { mkGuardian, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { apply, START } from './enrolment.helpers.js';

/** Enrolment's billing port wired to real billing: an offer naming a plan, accepted, puts the child in an account on the plan. */
describe('enrolment → billing (the real port)', () => {
  const srv = useServer();

  it('an archived or unknown plan cannot be offered (422); accepted → the child in a new family account, subscribed from startDate', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner, { capacity: 10 });
    const plan = (await owner.post('/billing/plans', { name: 'Full time', amount: 120000 })).body;
    const old = (await owner.post('/billing/plans', { name: 'Old', amount: 1000 })).body;
    expect((await owner.delete(`/billing/plans/${old.id}`)).status).toBe(204);
    const a = await apply(owner, { roomId: room.id });
    expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: old.id })).status).toBe(422);
    const offer = await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: plan.id });
    expect(offer.status, offer.text).toBe(200);
    const acc = await owner.post(`/applications/${a.id}/accept`, {});
    expect(acc.status, acc.text).toBe(200);
    const accounts = (await owner.get('/billing/accounts')).body.items;
    const mine = accounts.filter((x: any) => x.studentIds.includes(acc.body.studentId));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ payerGuardianIds: [acc.body.guardianId], name: `${a.guardian.lastName} family` });
    const subs = (await owner.get(`/billing/subscriptions?studentId=${acc.body.studentId}`)).body.items;
    expect(subs).toEqual([expect.objectContaining({ planId: plan.id, startDate: START, endDate: null, accountId: mine[0].id })]);
  });

  it('a guardian who already pays for accounts: the child goes into the oldest one', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner, { capacity: 10 });
    const plan = (await owner.post('/billing/plans', { name: 'Part time', amount: 60000 })).body;
    const email = `payer.${process.pid}.${Date.now().toString(36)}@example.test`;
    const g = await mkGuardian(owner, { email });
    const kids = [await mkStudent(owner), await mkStudent(owner)];
    for (const k of kids) expect((await owner.put(`/students/${k.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBeLessThan(300);
    const first = await owner.post('/billing/accounts', { name: 'First', payerGuardianIds: [g.id], studentIds: [kids[0]!.id] });
    expect(first.status, first.text).toBe(201);
    const second = await owner.post('/billing/accounts', { name: 'Second', payerGuardianIds: [g.id], studentIds: [kids[1]!.id] });
    expect(second.status).toBe(201);
    const a = await apply(owner, { roomId: room.id, guardian: { firstName: 'Pay', lastName: 'Er', email } });
    expect((await owner.post(`/applications/${a.id}/offer`, { roomId: room.id, startDate: START, planId: plan.id })).status).toBe(200);
    const acc = await owner.post(`/applications/${a.id}/accept`, {});
    expect(acc.status, acc.text).toBe(200);
    expect(acc.body.guardianId).toBe(g.id);
    expect((await owner.get(`/billing/accounts/${first.body.id}`)).body.studentIds.sort()).toEqual([kids[0]!.id, acc.body.studentId].sort());
    expect((await owner.get(`/billing/accounts/${second.body.id}`)).body.studentIds).toEqual([kids[1]!.id]);
    const subs = (await owner.get(`/billing/subscriptions?accountId=${first.body.id}`)).body.items;
    expect(subs).toEqual([expect.objectContaining({ planId: plan.id, startDate: START, studentId: acc.body.studentId })]);
  });
});
