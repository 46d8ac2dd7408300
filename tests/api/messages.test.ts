import { describe, expect, it } from 'vitest';
import { fixtures, useServer } from '../factories/index.js';
import { addMember, newTenant, startServer } from '../helpers/server.js';

const NIL = '00000000-0000-7000-8000-000000000000';
const ids = (r: any) => r.body.items.map((m: any) => m.id);

describe('messages', () => {
  const srv = useServer();

  /** A centre with rooms RA (children A and C) and RB (child B); guardian gA of A, gB of B. */
  async function centre() {
    const t = await newTenant(srv);
    const fx = fixtures(srv, t.tenant.id);
    const teacher = await addMember(srv, t.owner, ['teacher']);
    const gA = await addMember(srv, t.owner, ['guardian']);
    const gB = await addMember(srv, t.owner, ['guardian']);
    const RA = await fx.room();
    const RB = await fx.room();
    const A = await fx.student({ roomId: RA.id });
    const B = await fx.student({ roomId: RB.id });
    const C = await fx.student({ roomId: RA.id });
    await fx.link(A.id, (await fx.guardian({ email: gA.email })).id);
    await fx.link(B.id, (await fx.guardian({ email: gB.email })).id);
    return { ...t, fx, teacher, gA, gB, RA, RB, A, B, C };
  }

  it('sends a message and answers the declared shape', async () => {
    const { owner, membership, A } = await centre();
    const r = await owner.post('/messages', { audience: { type: 'student', id: A.id }, body: '  Bring a hat tomorrow  ' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String),
      audience: { type: 'student', id: A.id },
      body: 'Bring a hat tomorrow',
      authorMembershipId: membership.id,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: 1,
      read: false,
    });
    expect(r.headers.get('etag')).toBe('"1"');
    const t = await owner.post('/messages', { audience: { type: 'tenant' }, body: 'Closed on Friday' });
    expect(t.body.audience).toEqual({ type: 'tenant', id: null });
    const audit = await owner.get('/audit-logs?action=message.sent');
    expect(audit.body.items).toHaveLength(2);
    expect(JSON.stringify(audit.body.items)).not.toContain('Bring a hat');
  });

  it('visibility matrix: staff read everything; a guardian reads centre-wide, own children’s and their rooms’ messages', async () => {
    const { owner, teacher, gA, gB, RA, RB, A, B, C } = await centre();
    const send = async (audience: any, body: string) => (await owner.post('/messages', { audience, body })).body.id as string;
    const all = await send({ type: 'tenant' }, 'all');
    const toA = await send({ type: 'student', id: A.id }, 'to A');
    const toB = await send({ type: 'student', id: B.id }, 'to B');
    const toC = await send({ type: 'student', id: C.id }, 'to C (A’s classmate)');
    const toRA = await send({ type: 'room', id: RA.id }, 'to RA');
    const toRB = await send({ type: 'room', id: RB.id }, 'to RB');

    const newestFirst = [toRB, toRA, toC, toB, toA, all];
    expect(ids(await owner.get('/messages'))).toEqual(newestFirst);
    expect(ids(await teacher.agent.get('/messages'))).toEqual(newestFirst);
    expect(ids(await gA.agent.get('/messages'))).toEqual([toRA, toA, all]);
    expect(ids(await gB.agent.get('/messages'))).toEqual([toRB, toB, all]);

    // Guardians write about their own children and their rooms only.
    const fromA = await gA.agent.post('/messages', { audience: { type: 'student', id: A.id }, body: 'A has a cold' });
    expect(fromA.status).toBe(201);
    expect((await gA.agent.post('/messages', { audience: { type: 'room', id: RA.id }, body: 'party?' })).status).toBe(201);
    for (const audience of [{ type: 'student', id: B.id }, { type: 'student', id: C.id }, { type: 'room', id: RB.id }]) {
      const r = await gA.agent.post('/messages', { audience, body: 'hi' });
      expect(r.status, JSON.stringify(audience)).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    const wide = await gA.agent.post('/messages', { audience: { type: 'tenant' }, body: 'hello everyone' });
    expect(wide.status).toBe(403);
    expect(wide.body.error.code).toBe('FORBIDDEN');
    // gB does not see gA's message about A; staff do.
    expect(ids(await gB.agent.get('/messages'))).not.toContain(fromA.body.id);
    expect(ids(await teacher.agent.get('/messages'))).toContain(fromA.body.id);
    // A guardian with no children reads only centre-wide messages.
    const lonely = await addMember(srv, owner, ['guardian']);
    expect(ids(await lonely.agent.get('/messages'))).toEqual([all]);
  });

  it('read flags are per member and marking read is idempotent; invisible messages are 404', async () => {
    const { owner, teacher, gA, A, B } = await centre();
    const m = (await owner.post('/messages', { audience: { type: 'student', id: A.id }, body: 'nap went well' })).body.id;
    const hidden = (await owner.post('/messages', { audience: { type: 'student', id: B.id }, body: 'secret' })).body.id;
    const r1 = await gA.agent.post(`/messages/${m}/read`);
    expect(r1.status).toBe(204);
    expect(r1.text).toBe('');
    expect((await gA.agent.post(`/messages/${m}/read`)).status).toBe(204);
    expect((await gA.agent.get('/messages')).body.items.find((x: any) => x.id === m).read).toBe(true);
    expect((await teacher.agent.get('/messages')).body.items.find((x: any) => x.id === m).read).toBe(false);
    expect((await owner.get('/messages')).body.items.every((x: any) => x.read === false)).toBe(true);

    for (const id of [hidden, NIL, 'not-a-uuid']) {
      const r = await gA.agent.post(`/messages/${id}/read`);
      expect(r.status, id).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    const other = await newTenant(srv);
    expect((await other.owner.post(`/messages/${m}/read`)).status).toBe(404);
    expect(ids(await other.owner.get('/messages'))).toEqual([]);
  });

  it('validates the body and the audience', async () => {
    const { owner, RA } = await centre();
    const other = await centre();
    const bad: [unknown, number][] = [
      [{ audience: { type: 'tenant' }, body: '' }, 400],
      [{ audience: { type: 'tenant' }, body: '   ' }, 400],
      [{ audience: { type: 'tenant' }, body: 'x'.repeat(5001) }, 400],
      [{ audience: { type: 'tenant' } }, 400],
      [{ audience: { type: 'student' }, body: 'hi' }, 400],
      [{ audience: { type: 'room' }, body: 'hi' }, 400],
      [{ audience: { type: 'tenant', id: RA.id }, body: 'hi' }, 400],
      [{ audience: { type: 'everyone' }, body: 'hi' }, 400],
      [{ body: 'hi' }, 400],
      [{ audience: { type: 'student', id: NIL }, body: 'hi' }, 404],
      [{ audience: { type: 'student', id: 'nope' }, body: 'hi' }, 404],
      [{ audience: { type: 'room', id: NIL }, body: 'hi' }, 404],
      [{ audience: { type: 'student', id: other.A.id }, body: 'hi' }, 404],
      [{ audience: { type: 'room', id: other.RA.id }, body: 'hi' }, 404],
    ];
    for (const [body, status] of bad) {
      const r = await owner.post('/messages', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(status);
    }
    expect((await owner.post('/messages', { audience: { type: 'tenant' }, body: 'x'.repeat(5000) })).status).toBe(201);
  });

  it('pages newest first with a cursor', async () => {
    const { owner } = await centre();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await owner.post('/messages', { audience: { type: 'tenant' }, body: `m${i}` })).body.id);
    const p1 = await owner.get('/messages?limit=2');
    expect(ids(p1)).toEqual([sent[4], sent[3]]);
    const p2 = await owner.get(`/messages?limit=2&cursor=${p1.body.nextCursor}`);
    expect(ids(p2)).toEqual([sent[2], sent[1]]);
    const p3 = await owner.get(`/messages?limit=2&cursor=${p2.body.nextCursor}`);
    expect(ids(p3)).toEqual([sent[0]]);
    expect(p3.body.nextCursor).toBeNull();
    expect((await owner.get('/messages?cursor=garbage')).status).toBe(400);
    expect((await owner.get('/messages?limit=500')).status).toBe(400);
  });

  it('needs the messaging entitlement; removing it takes effect on the next request', async () => {
    const { owner, gA, A } = await centre();
    const noMsg = await addMember(srv, owner, ['teacher'], { entitlements: ['reports'] });
    for (const r of [await noMsg.agent.get('/messages'), await noMsg.agent.post('/messages', { audience: { type: 'tenant' }, body: 'x' })]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    const m = (await owner.post('/messages', { audience: { type: 'student', id: A.id }, body: 'hello' })).body.id;
    expect((await gA.agent.get('/messages')).status).toBe(200);
    const patch = await owner.patch(`/memberships/${gA.membershipId}`, { entitlements: [] });
    expect(patch.status).toBe(200);
    for (const r of [
      await gA.agent.get('/messages'),
      await gA.agent.post(`/messages/${m}/read`),
      await gA.agent.post('/messages', { audience: { type: 'student', id: A.id }, body: 'x' }),
    ]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    // Attendance does not depend on the entitlement.
    expect((await gA.agent.get('/attendance')).status).toBe(200);
  });

  it('replays a message sent twice with one Idempotency-Key, and refuses a replay after the entitlement is gone', async () => {
    const { owner, teacher, A } = await centre();
    const h = { 'idempotency-key': 'msg-1' };
    const body = { audience: { type: 'student', id: A.id }, body: 'once' };
    const a = await teacher.agent.post('/messages', body, h);
    const b = await teacher.agent.post('/messages', body, h);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.id).toBe(a.body.id);
    expect(ids(await owner.get('/messages'))).toEqual([a.body.id]);
    await owner.patch(`/memberships/${teacher.membershipId}`, { entitlements: ['reports'] });
    expect((await teacher.agent.post('/messages', body, h)).status).toBe(403);
  });

  // 401 without a session on every messages route: the shared security suite (tests/api/security-suite.test.ts).
  it('there is no PATCH on a message', async () => {
    const { owner } = await centre();
    const m = (await owner.post('/messages', { audience: { type: 'tenant' }, body: 'x' })).body.id;
    expect((await owner.patch(`/messages/${m}`, { body: 'y' })).status).toBe(404);
  });
});

describe('messages: the audience shape of the contract', () => {
  it('accepts {type: "tenant"} with the optional id absent or null', async () => {
    const srv = await startServer();
    try {
      const { owner } = await newTenant(srv);
      expect((await owner.post('/messages', { audience: { type: 'tenant' }, body: 'a' })).status).toBe(201);
      expect((await owner.post('/messages', { audience: { type: 'tenant', id: null }, body: 'b' })).status).toBe(201);
      expect((await owner.post('/messages', { audience: { type: 'tenant', id: 'x' }, body: 'c' })).status).toBe(400);
    } finally {
      await srv.close();
    }
  });
});
