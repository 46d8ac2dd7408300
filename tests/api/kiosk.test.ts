import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { createContainer } from '../../src/container.js';
import { auditActions, newCentre, useServer } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { HAS_REDIS_SERVER, startPrivateRedis } from '../helpers/redis-server.js';
import { addMember, type TestServer } from '../helpers/server.js';

const NIL = '00000000-0000-7000-8000-000000000000';

/** A kiosk's HTTP client: a Bearer token, no cookies. */
function kioskClient(srv: { url: string }, token: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(srv.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text };
  };
  return { post: (p: string, b: unknown, h?: Record<string, string>) => call('POST', p, b, h), get: (p: string) => call('GET', p) };
}

async function mkKiosk(owner: Agent, name = 'Front door') {
  const r = await owner.post('/kiosks', { name });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; name: string; token: string; version: number };
}
async function pinFor(owner: Agent, guardianId: string) {
  const r = await owner.put(`/guardians/${guardianId}/pin`);
  expect(r.status, r.text).toBe(200);
  return r.body.pin as string;
}
const wrongPin = (right: string[]) => {
  for (let i = 0; ; i++) {
    const p = String(123456 + i).padStart(6, '0');
    if (!right.includes(p)) return p;
  }
};

/** A centre with a room, a family (one adult linked to two children) and a kiosk. */
async function family(srv: TestServer) {
  const c = await newCentre(srv);
  const room = await c.fx.room({ capacity: 10 });
  const g = await c.fx.guardian({ firstName: 'Alex' });
  const kid1 = await c.fx.student({ roomId: room.id, firstName: 'Ada' });
  const kid2 = await c.fx.student({ roomId: room.id, firstName: 'Ben' });
  await c.fx.link(kid1.id, g.id, { authorizedPickup: true });
  await c.fx.link(kid2.id, g.id, { authorizedPickup: true });
  const pin = await pinFor(c.owner, g.id);
  const kiosk = await mkKiosk(c.owner);
  return { ...c, room, g, kid1, kid2, pin, kiosk, k: kioskClient(srv, kiosk.token) };
}

describe('kiosk', () => {
  const srv = useServer();

  it('end to end with a real token: lookup → check-in → check-out; records say kiosk and who; every action audited', async () => {
    const { owner, room, g, kid1, kid2, pin, kiosk, k } = await family(srv);
    const look = await k.post('/kiosk/lookup', { pin });
    expect(look.status, look.text).toBe(200);
    expect(look.body.guardian).toEqual({ id: g.id, firstName: 'Alex' });
    expect(look.body.children).toEqual([
      { id: kid1.id, firstName: 'Ada', lastName: 'Test', checkedIn: false, canPickUp: true },
      { id: kid2.id, firstName: 'Ben', lastName: 'Test', checkedIn: false, canPickUp: true },
    ]);

    const cin = await k.post('/kiosk/check-in', { pin, studentIds: [kid1.id, kid2.id] });
    expect(cin.status, cin.text).toBe(201);
    expect(cin.body.items).toHaveLength(2);
    for (const r of cin.body.items) expect(r).toMatchObject({ roomId: room.id, method: 'kiosk', droppedOffByGuardianId: g.id, checkOutAt: null, checkedInByMembershipId: null });
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.presentCount).toBe(2);
    expect((await k.post('/kiosk/lookup', { pin })).body.children.map((c: any) => c.checkedIn)).toEqual([true, true]);
    // The same rules as a staff check-in: already in → 409.
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [kid1.id] })).status).toBe(409);

    const out = await k.post('/kiosk/check-out', { pin, studentIds: [kid1.id] });
    expect(out.status, out.text).toBe(200);
    expect(out.body.items[0]).toMatchObject({ studentId: kid1.id, pickedUpByGuardianId: g.id, checkOutAt: expect.any(String), method: 'kiosk' });
    expect((await k.post('/kiosk/check-out', { pin, studentIds: [kid1.id] })).status).toBe(409);
    const staffList = await owner.get(`/attendance?studentId=${kid2.id}`);
    expect(staffList.body.items[0]).toMatchObject({ method: 'kiosk', droppedOffByGuardianId: g.id });

    const ins = await auditActions(owner, 'kiosk.checked_in');
    expect(ins[0]).toMatchObject({ targetType: 'kiosk', targetId: kiosk.id, after: { kioskId: kiosk.id, guardianId: g.id, studentIds: [kid1.id, kid2.id] } });
    expect((await auditActions(owner, 'kiosk.checked_out'))[0].after).toMatchObject({ kioskId: kiosk.id, guardianId: g.id, studentIds: [kid1.id] });
    expect((await auditActions(owner, 'kiosk.lookup'))[0].after).toMatchObject({ kioskId: kiosk.id, guardianId: g.id });
    // A staff check-in still says staff.
    const staffIn = await owner.post('/attendance/check-in', { studentId: kid1.id });
    expect(staffIn.body).toMatchObject({ method: 'staff', droppedOffByGuardianId: null });
  });

  it('a kiosk check-in removes that day\'s absence and audits it, like a staff check-in (the same service)', async () => {
    const { owner, room, kid1, pin, k } = await family(srv);
    const today = new Date().toISOString().slice(0, 10); // the test centres are in UTC
    const abs = await owner.post('/absences', { studentId: kid1.id, date: today, reason: 'sick' });
    expect(abs.status, abs.text).toBe(201);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.absent.map((a: any) => a.studentId)).toEqual([kid1.id]);
    const cin = await k.post('/kiosk/check-in', { pin, studentIds: [kid1.id] });
    expect(cin.status, cin.text).toBe(201);
    expect((await owner.get(`/absences?studentId=${kid1.id}`)).body.items).toEqual([]);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.absent).toEqual([]);
    const audit = await auditActions(owner, 'absence.removed_by_check_in');
    expect(audit[0]).toMatchObject({ targetId: abs.body.id, before: expect.objectContaining({ reason: 'sick' }) });
  });

  it('a child not theirs → 404, one they may not pick up → 422, archived or full → the attendance rules; all or none', async () => {
    const { fx, owner, g, kid1, pin, k } = await family(srv);
    const stranger = await fx.student();
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [stranger.id] })).status).toBe(404);
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [NIL] })).status).toBe(404);
    expect((await k.post('/kiosk/check-in', { pin, studentIds: ['nope'] })).status).toBe(404);
    // All or none: the second child fails, so the first is not checked in either.
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [kid1.id, stranger.id] })).status).toBe(404);
    const noPickup = await fx.student();
    await fx.link(noPickup.id, g.id, { authorizedPickup: false });
    const cin = await k.post('/kiosk/check-in', { pin, studentIds: [noPickup.id, kid1.id] });
    expect(cin.status, cin.text).toBe(201);
    const out = await k.post('/kiosk/check-out', { pin, studentIds: [kid1.id, noPickup.id] });
    expect(out.status).toBe(422);
    expect(out.body.error.code).toBe('UNPROCESSABLE');
    expect((await owner.get(`/attendance?studentId=${kid1.id}`)).body.items[0].checkOutAt).toBeNull();

    const archived = await fx.student();
    await fx.link(archived.id, g.id, { authorizedPickup: true });
    expect((await owner.delete(`/students/${archived.id}`)).status).toBe(204);
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [archived.id] })).status).toBe(404);

    const tiny = await fx.room({ capacity: 1 });
    const a = await fx.student({ roomId: tiny.id });
    const b = await fx.student({ roomId: tiny.id });
    await fx.link(b.id, g.id, { authorizedPickup: true });
    expect((await owner.post('/attendance/check-in', { studentId: a.id })).status).toBe(201);
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [b.id] })).status).toBe(409);

    for (const body of [{}, { pin }, { pin: '12345', studentIds: [kid1.id] }, { pin, studentIds: [] }, { pin, studentIds: [kid1.id], extra: 1 }]) {
      const r = await k.post('/kiosk/check-in', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const replayKey = { 'idempotency-key': 'kiosk-in-1' };
    const first = await k.post('/kiosk/check-out', { pin, studentIds: [noPickup.id] }, replayKey);
    const second = await k.post('/kiosk/check-out', { pin, studentIds: [noPickup.id] }, replayKey);
    expect(second.status).toBe(first.status);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a wrong PIN → 401 INVALID_PIN; 5 wrong within 5 minutes lock that kiosk (429, Retry-After) for right PINs too; another kiosk is not locked', async () => {
    const { owner, pin, k, kid1 } = await family(srv);
    const other = kioskClient(srv, (await mkKiosk(owner, 'Back door')).token);
    const bad = wrongPin([pin]);
    for (let i = 0; i < 5; i++) {
      const r = await k.post('/kiosk/lookup', { pin: bad });
      expect(r.status, `attempt ${i + 1}`).toBe(401);
      expect(r.body.error.code).toBe('INVALID_PIN');
    }
    for (const body of [{ pin }, { pin: bad }]) {
      const r = await k.post('/kiosk/lookup', body);
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('RATE_LIMITED');
      const retry = Number(r.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(300);
    }
    expect((await k.post('/kiosk/check-in', { pin, studentIds: [kid1.id] })).status).toBe(429);
    expect((await other.post('/kiosk/lookup', { pin })).status).toBe(200);
    expect((await auditActions(owner, 'kiosk.locked')).length).toBe(1);
    expect((await auditActions(owner, 'kiosk.pin_rejected')).length).toBe(1); // aggregated: the window's first, then the lock
  });

  it('a PIN: 6 digits, shown once, stored only as a keyed hash; a new one replaces the old at once; unique in the centre; dies with unlink or archive', async () => {
    const { owner, fx, g, kid1, pin, k, tenant } = await family(srv);
    expect(pin).toMatch(/^\d{6}$/);
    const rows: any = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`select pin_hash from guardians where id = ${g.id}`));
    const stored = (rows.rows ?? rows)[0].pin_hash as string;
    expect(stored).not.toContain(pin);
    expect(stored.length).toBeGreaterThan(40);
    expect((await owner.get(`/guardians/${g.id}`)).text).not.toContain(pin);
    expect(JSON.stringify(await auditActions(owner, 'guardian.pin_set'))).not.toContain(pin);

    const next = await pinFor(owner, g.id);
    expect(next).not.toBe(pin);
    expect((await k.post('/kiosk/lookup', { pin })).status).toBe(401);
    expect((await k.post('/kiosk/lookup', { pin: next })).status).toBe(200);

    // Unique per centre: the index refuses a second adult with the same keyed hash.
    const g2 = await fx.guardian();
    await expect(srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`update guardians set pin_hash = ${stored} where id = ${g2.id}`))).resolves.toBeDefined();
    const latest: any = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`select pin_hash from guardians where id = ${g.id}`));
    await expect(
      srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`update guardians set pin_hash = ${(latest.rows ?? latest)[0].pin_hash} where id = ${g2.id}`)),
    ).rejects.toThrow();
    const many = new Set<string>();
    for (let i = 0; i < 8; i++) many.add(await pinFor(owner, (await fx.guardian()).id));
    expect(many.size).toBe(8);

    // Unlinking kills it.
    expect((await owner.delete(`/students/${kid1.id}/guardians/${g.id}`)).status).toBe(204);
    expect((await k.post('/kiosk/lookup', { pin: next })).status).toBe(401);
    // Archiving the adult kills it.
    const third = await pinFor(owner, g.id);
    expect((await k.post('/kiosk/lookup', { pin: third })).status).toBe(200);
    expect((await owner.delete(`/guardians/${g.id}`)).status).toBe(204);
    expect((await k.post('/kiosk/lookup', { pin: third })).status).toBe(401);
    expect((await owner.put(`/guardians/${g.id}/pin`)).status).toBe(409);
  });

  it('who may set PINs and manage kiosks: owners and admins; teachers and guardians 403; another centre 404; If-Match 412', async () => {
    const { owner, g, kiosk, k, pin } = await family(srv);
    const admin = await addMember(srv, owner, ['admin']);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    expect((await admin.agent.put(`/guardians/${g.id}/pin`)).status).toBe(200);
    for (const a of [teacher.agent, guardian.agent]) {
      expect([403, 404]).toContain((await a.put(`/guardians/${g.id}/pin`)).status);
      expect((await a.post('/kiosks', { name: 'x' })).status).toBe(403);
      expect((await a.get('/kiosks')).status).toBe(403);
      expect((await a.delete(`/kiosks/${kiosk.id}`)).status).toBe(403);
    }
    expect((await teacher.agent.put(`/guardians/${g.id}/pin`)).status).toBe(403);
    expect((await srv.agent().put(`/guardians/${g.id}/pin`)).status).toBe(401);
    const other = await newCentre(srv);
    expect((await other.owner.put(`/guardians/${g.id}/pin`)).status).toBe(404);
    expect((await other.owner.delete(`/kiosks/${kiosk.id}`)).status).toBe(404);
    expect((await owner.put(`/guardians/${NIL}/pin`)).status).toBe(404);
    expect((await owner.put(`/guardians/${g.id}/pin`, undefined, { 'if-match': '"999"' })).status).toBe(412);
    expect((await owner.post('/kiosks', {})).status).toBe(400);

    const list = await admin.agent.get('/kiosks');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ id: kiosk.id, name: 'Front door', version: 1 })]);
    expect(list.text).not.toContain(kiosk.token);
    expect((await other.owner.get('/kiosks')).body.items).toEqual([]);
    expect(JSON.stringify(await auditActions(owner, 'kiosk.created'))).not.toContain(kiosk.token);

    // The other centre's kiosk cannot use this centre's PINs.
    const theirs = kioskClient(srv, (await mkKiosk(other.owner)).token);
    const fresh = await pinFor(owner, g.id);
    expect((await theirs.post('/kiosk/lookup', { pin: fresh })).status).toBe(401);

    expect((await owner.delete(`/kiosks/${kiosk.id}`, { 'if-match': '"7"' })).status).toBe(412);
    expect((await k.post('/kiosk/lookup', { pin: fresh })).status).toBe(200);
    expect((await owner.delete(`/kiosks/${kiosk.id}`, { 'if-match': '"1"' })).status).toBe(204);
    // Revoked: the very next request fails.
    const after = await k.post('/kiosk/lookup', { pin: fresh });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    expect((await owner.delete(`/kiosks/${kiosk.id}`)).status).toBe(404);
    expect((await owner.get('/kiosks')).body.items).toEqual([]);
    expect(pin).toBeDefined();
  });

  it('an Idempotency-Key replays the PIN and the kiosk token; the stored copy is sealed, never in clear', async () => {
    const { owner, g, tenant } = await family(srv);
    const h = { 'idempotency-key': `pin-${g.id}` };
    const first = await owner.put(`/guardians/${g.id}/pin`, undefined, h);
    const again = await owner.put(`/guardians/${g.id}/pin`, undefined, h);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.pin).toBe(first.body.pin);
    const kh = { 'idempotency-key': `kiosk-${g.id}` };
    const k1 = await owner.post('/kiosks', { name: 'Hall' }, kh);
    const k2 = await owner.post('/kiosks', { name: 'Hall' }, kh);
    expect(k2.status).toBe(201);
    expect(k2.body.token).toBe(k1.body.token);
    const stored: any = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.execute(sql`select response_body::text b from idempotency_keys where key in (${h['idempotency-key']}, ${kh['idempotency-key']})`));
    const bodies = (stored.rows ?? stored).map((r: any) => r.b).join(' ');
    expect(bodies).toContain('__sealed');
    expect(bodies).not.toContain(first.body.pin);
    expect(bodies).not.toContain(k1.body.token);
  });

  it('a kiosk token opens only /kiosk/*; kiosk routes need a valid kiosk token (not a session)', async () => {
    const { owner, k, pin, kiosk } = await family(srv);
    for (const path of ['/students', '/rooms', '/me/context', '/kiosks', '/attendance']) expect((await k.get(path)).status, path).toBe(401);
    expect((await k.post('/attendance/check-in', { studentId: NIL })).status).toBe(401);
    for (const token of ['', 'nonsense', kiosk.token.slice(0, -2) + 'AA', `dck1_${Buffer.alloc(64).toString('base64url')}`]) {
      const r = await kioskClient(srv, token).post('/kiosk/lookup', { pin });
      expect(r.status, token).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    }
    const viaSession = await owner.post('/kiosk/lookup', { pin });
    expect(viaSession.status).toBe(401);
    const noAuth = await fetch(`${srv.url}/kiosk/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pin }) });
    expect(noAuth.status).toBe(401);
  });

  it('canViewRecords: false makes the child invisible to that adult (404 everywhere) while a kiosk pickup still works; emergencyContact is data', async () => {
    const { owner, fx, room, pin, k } = await family(srv);
    const member = await addMember(srv, owner, ['guardian']);
    const rec = await fx.guardian({ email: member.email, firstName: 'Gran' });
    const kid = await fx.student({ roomId: room.id, firstName: 'Cleo' });
    const put = await owner.put(`/students/${kid.id}/guardians/${rec.id}`, { relationship: 'grandmother', authorizedPickup: true, emergencyContact: true, canViewRecords: false });
    expect(put.status, put.text).toBe(201);
    expect(put.body).toMatchObject({ emergencyContact: true, canViewRecords: false, authorizedPickup: true });
    const listed = await owner.get(`/students/${kid.id}/guardians`);
    expect(listed.body.items[0]).toMatchObject({ id: rec.id, emergencyContact: true, canViewRecords: false });

    expect((await owner.post('/attendance/check-in', { studentId: kid.id, droppedOffByGuardianId: rec.id })).status).toBe(201);
    const a = member.agent;
    expect((await a.get(`/students/${kid.id}`)).status).toBe(404);
    expect((await a.get(`/students/${kid.id}/guardians`)).status).toBe(404);
    expect((await a.get('/students')).body.items).toEqual([]);
    expect((await a.get(`/attendance?studentId=${kid.id}`)).body.items).toEqual([]);
    expect((await a.get(`/rooms/${room.id}`)).status).toBe(404);
    expect((await a.get(`/rooms/${room.id}/roster`)).status).toBe(404);
    expect((await a.post('/messages', { audience: { type: 'student', id: kid.id }, body: 'hi' })).status).toBe(404);
    const gp = await pinFor(owner, rec.id);
    const look = await k.post('/kiosk/lookup', { pin: gp });
    expect(look.body.children).toEqual([{ id: kid.id, firstName: 'Cleo', lastName: 'Test', checkedIn: true, canPickUp: true }]);
    const out = await k.post('/kiosk/check-out', { pin: gp, studentIds: [kid.id] });
    expect(out.status, out.text).toBe(200);
    expect(out.body.items[0].pickedUpByGuardianId).toBe(rec.id);

    // PUT replaces the link: flags left out take their defaults, and the child becomes visible.
    const reset = await owner.put(`/students/${kid.id}/guardians/${rec.id}`, { relationship: 'grandmother', authorizedPickup: true });
    expect(reset.body).toMatchObject({ emergencyContact: false, canViewRecords: true });
    expect((await a.get(`/students/${kid.id}`)).status).toBe(200);
    expect(pin).toBeDefined();
  });

  it.skipIf(!HAS_REDIS_SERVER)('the lockout survives an API restart when Redis is configured', async () => {
    const redis = await startPrivateRedis();
    try {
      const { owner, pin, kiosk } = await family(srv);
      const bad = wrongPin([pin]);
      const boot = async () => {
        const cache = new RedisCache({ url: redis.url });
        const container = await createContainer(srv.container.config, { db: srv.container.db, cache });
        return { app: createApp(container), cache };
      };
      const call = (app: ReturnType<typeof createApp>, body: unknown) =>
        app.request('/kiosk/lookup', { method: 'POST', headers: { authorization: `Bearer ${kiosk.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const first = await boot();
      for (let i = 0; i < 5; i++) expect((await call(first.app, { pin: bad })).status).toBe(401);
      expect((await call(first.app, { pin })).status).toBe(429);
      await first.cache.close();
      const second = await boot();
      const r = await call(second.app, { pin });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      await second.cache.close();
      expect(owner).toBeDefined();
    } finally {
      await redis.stop();
    }
  });
});
