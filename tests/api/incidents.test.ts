/** Incidents (CONTRACT §5): open → reviewed → acknowledged, in the service and in the database. */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditActions, mkGuardian, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';
import type { Agent } from '../helpers/http.js';

const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
const report = (studentId: string, extra: object = {}) => ({ studentId, occurredAt: ago(30), type: 'injury', description: 'Grazed knee in the garden', actionTaken: 'Cleaned and plastered', location: 'Garden', ...extra });

async function family(srv: any, owner: Agent) {
  const room = await mkRoom(owner);
  const kid = await mkStudent(owner, { roomId: room.id, firstName: 'Mia' });
  const stranger = await mkStudent(owner, { roomId: room.id });
  const g = await addMember(srv, owner, ['guardian']);
  const rec = await mkGuardian(owner, { email: g.email });
  await owner.put(`/students/${kid.id}/guardians/${rec.id}`, { relationship: 'parent', authorizedPickup: true });
  const g2 = await addMember(srv, owner, ['guardian']);
  const rec2 = await mkGuardian(owner, { email: g2.email });
  await owner.put(`/students/${stranger.id}/guardians/${rec2.id}`, { relationship: 'parent', authorizedPickup: true });
  return { room, kid, stranger, guardian: g.agent, guardianRecordId: rec.id, otherGuardian: g2.agent };
}

describe('incidents', () => {
  const srv = useServer();

  it('the whole path: a teacher records (open, hidden from guardians), an admin reviews (a message to the child’s audience), the guardian acknowledges (who and when), all audited with before/after', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(srv, owner);
    const teacher = (await addMember(srv, owner, ['teacher'])).agent;
    const admin = (await addMember(srv, owner, ['admin'])).agent;
    const created = await teacher.post('/incidents', report(f.kid.id));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: 'open', studentId: f.kid.id, roomId: f.room.id, type: 'injury', location: 'Garden', reportedByMembershipId: expect.any(String), reviewedAt: null, acknowledgedAt: null, acknowledgedByGuardianId: null, version: 1 });
    const id = created.body.id;
    // Open: invisible to guardians everywhere.
    expect((await f.guardian.get(`/incidents/${id}`)).status).toBe(404);
    expect((await f.guardian.get('/incidents')).body.items).toEqual([]);
    expect((await f.guardian.post(`/incidents/${id}/acknowledge`)).status).toBe(404);
    // Only owner/admin review.
    expect((await teacher.post(`/incidents/${id}/review`)).status).toBe(403);
    const reviewed = await admin.post(`/incidents/${id}/review`);
    expect(reviewed.status, reviewed.text).toBe(200);
    expect(reviewed.body).toMatchObject({ status: 'reviewed', reviewedAt: expect.any(String), version: 2 });
    expect((await admin.post(`/incidents/${id}/review`)).status).toBe(409);
    const msgs = await f.guardian.get('/messages');
    expect(msgs.body.items.some((m: any) => m.audience.type === 'student' && m.audience.id === f.kid.id && /incident report about Mia/.test(m.body))).toBe(true);
    expect((await f.otherGuardian.get('/messages')).body.items.some((m: any) => /incident/.test(m.body))).toBe(false);
    // Reviewed: the child's guardian sees it; another family does not.
    expect((await f.guardian.get(`/incidents/${id}`)).body.status).toBe('reviewed');
    expect((await f.guardian.get('/incidents')).body.items.map((i: any) => i.id)).toEqual([id]);
    expect((await f.otherGuardian.get(`/incidents/${id}`)).status).toBe(404);
    expect((await f.otherGuardian.post(`/incidents/${id}/acknowledge`)).status).toBe(404);
    // Staff cannot acknowledge; a guardian cannot record or change.
    expect((await owner.post(`/incidents/${id}/acknowledge`)).status).toBe(403);
    expect((await f.guardian.post('/incidents', report(f.kid.id))).status).toBe(403);
    expect((await f.guardian.patch(`/incidents/${id}`, { description: 'x' })).status).toBe(403);
    // Still changeable while reviewed.
    const changed = await teacher.patch(`/incidents/${id}`, { actionTaken: 'Cleaned, plastered, ice pack' }, { 'if-match': '"2"' });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ status: 'reviewed', version: 3 });
    const ack = await f.guardian.post(`/incidents/${id}/acknowledge`);
    expect(ack.status, ack.text).toBe(200);
    expect(ack.body).toMatchObject({ status: 'acknowledged', acknowledgedByGuardianId: f.guardianRecordId, acknowledgedAt: expect.any(String), version: 4 });
    const again = await f.guardian.post(`/incidents/${id}/acknowledge`);
    expect(again.status).toBe(409);
    // The signed record never changes: PATCH and review → 409.
    const patch = await owner.patch(`/incidents/${id}`, { description: 'rewritten' });
    expect(patch.status).toBe(409);
    expect(patch.body.error.code).toBe('CONFLICT');
    expect((await owner.post(`/incidents/${id}/review`)).status).toBe(409);
    expect((await owner.get(`/incidents/${id}`)).body).toMatchObject({ description: 'Grazed knee in the garden', version: 4 });
    for (const [action, from, to] of [['incident.reviewed', 'open', 'reviewed'], ['incident.updated', 'reviewed', 'reviewed'], ['incident.acknowledged', 'reviewed', 'acknowledged']]) {
      const [row] = await auditActions(owner, action!);
      expect(row, action).toMatchObject({ targetId: id, before: expect.objectContaining({ status: from }), after: expect.objectContaining({ status: to }) });
    }
    expect((await auditActions(owner, 'incident.created'))[0]).toMatchObject({ targetId: id });
  });

  it('the database refuses any change to an acknowledged incident and any step outside the machine, whatever path writes', async () => {
    const { owner, tenant } = await newCentre(srv);
    const f = await family(srv, owner);
    const id = (await owner.post('/incidents', report(f.kid.id))).body.id;
    const db = srv.container.db;
    const attempt = (stmt: ReturnType<typeof sql>) => db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(stmt)).then(() => 'ok', (e: any) => String(e?.cause?.message ?? e?.message));
    // open → acknowledged directly is refused.
    expect(await attempt(sql`update incidents set status = 'acknowledged', reviewed_at = now(), acknowledged_at = now(), acknowledged_by_guardian_id = ${f.guardianRecordId} where id = ${id}`)).toMatch(/incident status cannot go from open to acknowledged/);
    await owner.post(`/incidents/${id}/review`);
    expect(await attempt(sql`update incidents set status = 'open', reviewed_at = null where id = ${id}`)).toMatch(/cannot go from reviewed to open/);
    await f.guardian.post(`/incidents/${id}/acknowledge`);
    expect(await attempt(sql`update incidents set description = 'rewritten' where id = ${id}`)).toMatch(/acknowledged incident cannot be changed/);
    expect(await attempt(sql`update incidents set reminded_at = now() where id = ${id}`)).toMatch(/acknowledged incident cannot be changed/);
    expect(await attempt(sql`insert into incidents (tenant_id, student_id, occurred_at, type, description, action_taken, status, reported_by_membership_id, reviewed_at) values (${tenant.id}, ${f.kid.id}, now(), 'other', 'x', 'y', 'reviewed', ${id}, now())`)).toMatch(/starts open/);
    expect((await owner.get(`/incidents/${id}`)).body).toMatchObject({ status: 'acknowledged', description: 'Grazed knee in the garden' });
  });

  it('in parallel: a PATCH racing the acknowledgement never changes the signed record', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(srv, owner);
    for (let i = 0; i < 3; i++) {
      const id = (await owner.post('/incidents', report(f.kid.id))).body.id;
      await owner.post(`/incidents/${id}/review`);
      const [p, a] = await Promise.all([owner.patch(`/incidents/${id}`, { description: `changed ${i}` }), f.guardian.post(`/incidents/${id}/acknowledge`)]);
      expect(a.status).toBe(200);
      const final = (await owner.get(`/incidents/${id}`)).body;
      // Either the change came first (and the guardian signed the changed text) or it was refused.
      if (p.status === 200) expect(a.body.description).toBe(`changed ${i}`);
      else expect(p.status).toBe(409);
      expect(final.description).toBe(a.body.description);
      expect(final.version).toBe(a.body.version);
    }
  });

  it('bad input → 400/422; another centre → 404; If-Match → 412; lists filter by child, status and local dates; replays', async () => {
    const { owner } = await newCentre(srv);
    const other = await newCentre(srv);
    const f = await family(srv, owner);
    expect((await owner.post('/incidents', report(f.kid.id, { type: 'fall' }))).status).toBe(400);
    expect((await owner.post('/incidents', report(f.kid.id, { description: '' }))).status).toBe(400);
    expect((await owner.post('/incidents', { studentId: f.kid.id, occurredAt: ago(1) })).status).toBe(400);
    expect((await owner.post('/incidents', report(f.kid.id, { occurredAt: new Date(Date.now() + 3_600_000).toISOString() }))).status).toBe(422);
    expect((await other.owner.post('/incidents', report(f.kid.id))).status).toBe(404);
    const a = (await owner.post('/incidents', report(f.kid.id, { occurredAt: '2026-01-05T10:00:00Z' }))).body;
    const b = (await owner.post('/incidents', report(f.stranger.id, { occurredAt: '2026-01-07T10:00:00Z', type: 'illness' }))).body;
    expect((await other.owner.get(`/incidents/${a.id}`)).status).toBe(404);
    expect((await other.owner.patch(`/incidents/${a.id}`, { description: 'x' })).status).toBe(404);
    expect((await other.owner.post(`/incidents/${a.id}/review`)).status).toBe(404);
    expect((await other.owner.get('/incidents')).body.items).toEqual([]);
    expect((await owner.patch(`/incidents/${a.id}`, { description: 'x' }, { 'if-match': '"5"' })).status).toBe(412);
    expect((await owner.patch(`/incidents/${a.id}`, { type: 'nope' })).status).toBe(400);
    await owner.post(`/incidents/${b.id}/review`);
    const ids = async (q: string) => (await owner.get(`/incidents?${q}`)).body.items.map((i: any) => i.id);
    expect(await ids(`studentId=${f.kid.id}`)).toEqual([a.id]);
    expect(await ids('status=reviewed')).toEqual([b.id]);
    expect(await ids('from=2026-01-06&to=2026-01-07')).toEqual([b.id]);
    expect(await ids('from=2026-01-05&to=2026-01-05')).toEqual([a.id]);
    expect((await owner.get('/incidents?status=closed')).status).toBe(400);
    const key = { 'idempotency-key': `inc-${f.kid.id}` };
    const r1 = await owner.post('/incidents', report(f.kid.id, { occurredAt: '2026-01-08T09:00:00Z' }), key);
    const r2 = await owner.post('/incidents', report(f.kid.id, { occurredAt: '2026-01-08T09:00:00Z' }), key);
    expect(r2.body.id).toBe(r1.body.id);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
  });

  it('the 24 h reminder: once per incident reviewed and not acknowledged, however often the task runs', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(srv, owner);
    const waiting = (await owner.post('/incidents', report(f.kid.id))).body.id;
    const signed = (await owner.post('/incidents', report(f.kid.id))).body.id;
    await owner.post('/incidents', report(f.kid.id)); // stays open: nobody is reminded of it
    await owner.post(`/incidents/${waiting}/review`);
    await owner.post(`/incidents/${signed}/review`);
    await f.guardian.post(`/incidents/${signed}/acknowledge`);
    const reminders = async () => (await f.guardian.get('/messages?limit=200')).body.items.filter((m: any) => /^Reminder: an incident report/.test(m.body));
    await srv.container.workers.runTask('incidents.reminders', new Date(Date.now() + 23 * 3_600_000));
    expect(await reminders()).toHaveLength(0);
    await srv.container.workers.runTask('incidents.reminders', new Date(Date.now() + 25 * 3_600_000));
    await srv.container.workers.runTask('incidents.reminders', new Date(Date.now() + 26 * 3_600_000));
    const sent = await reminders();
    expect(sent).toHaveLength(1);
    expect(sent[0].audience).toEqual({ type: 'student', id: f.kid.id });
    // Acknowledging after the reminder still works.
    expect((await f.guardian.post(`/incidents/${waiting}/acknowledge`)).status).toBe(200);
  });
});
