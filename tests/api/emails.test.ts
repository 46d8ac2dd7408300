/**
 * Emails are compared in one canonical form (src/core/email.ts, README "Emails"): trimmed, ASCII lower-cased, anything
 * else exactly. A look-alike address in a token — the Kelvin sign U+212A for `k`, the Turkish dotted İ (U+0130) or
 * dotless ı (U+0131) for `i` — matches no invitation, guardian record or staff record of the plain address, while an
 * ASCII upper-case spelling still does.
 */
import { describe, expect, it } from 'vitest';
import { canonicalEmail } from '../../src/core/email.js';
import { localSupabaseSub } from '../../src/core/security/supabase.js';
import { Agent } from '../helpers/http.js';
import { addMember, newTenant, uniqueEmail, type TestServer } from '../helpers/server.js';
import { mkGuardian, mkRoom, mkStaff, mkStudent, useServer } from '../factories/index.js';

const srv = useServer();
const KELVIN = '\u212A';

/** Signs in with a token for `email` (optionally as an existing Supabase user `sub`, whose address changed). */
async function signInAs(s: TestServer, email: string, sub?: string) {
  const a = new Agent(s.url);
  const res = await a.post('/auth/exchange', { accessToken: await s.token(email, sub ? { sub } : {}) });
  expect(res.status, res.text).toBe(200);
  if (!res.body.activeMembershipId && res.body.memberships?.length) {
    const switched = await a.post('/auth/switch', { membershipId: res.body.memberships[0].id });
    expect(switched.status, switched.text).toBe(200);
  }
  return a;
}

describe('emails: one canonical form wherever an address is matched', () => {
  it('the rule: trim, ASCII lower-case only', () => {
    expect(canonicalEmail('  Ann.SMITH@Example.TEST ')).toBe('ann.smith@example.test');
    expect(canonicalEmail(`${KELVIN}admin@example.test`)).toBe(`${KELVIN}admin@example.test`);
    expect(canonicalEmail('ALİ@example.test')).toBe('alİ@example.test');
    expect(canonicalEmail('alı@example.test')).toBe('alı@example.test');
  });

  it('invitations: a Kelvin-sign or Turkish-i token neither lists nor accepts the plain address’s invitation; ASCII case does', async () => {
    const { owner } = await newTenant(srv);
    const k = uniqueEmail('kadmin');
    const i = uniqueEmail('ali');
    const invK = await owner.post('/memberships', { email: k, roles: ['admin'] });
    const invI = await owner.post('/memberships', { email: i, roles: ['admin'] });
    expect(invK.status, invK.text).toBe(201);
    expect(invI.status, invI.text).toBe(201);

    for (const lookalike of [KELVIN + k.slice(1), i.replace('ali', 'alı'), i.replace('ali', 'ALİ'), i.replace('ali', 'ali\u0307')]) {
      const a = await signInAs(srv, lookalike);
      expect((await a.get('/invitations')).body.items, lookalike).toEqual([]);
      const id = lookalike.includes(KELVIN) ? invK.body.id : invI.body.id;
      expect((await a.post(`/invitations/${id}/accept`, {})).status, lookalike).toBe(404);
      expect((await a.post(`/invitations/${id}/decline`, {})).status, lookalike).toBe(404);
    }
    // The same address in ASCII upper case is the same address.
    const upper = await signInAs(srv, k.toUpperCase());
    expect((await upper.get('/invitations')).body.items.map((x: { id: string }) => x.id)).toEqual([invK.body.id]);
    expect((await upper.post(`/invitations/${invK.body.id}/accept`, {})).status).toBe(200);
  });

  it('guardian records ↔ members: a guardian whose account address turns into a look-alike sees none of the plain address’s children', async () => {
    const { owner } = await newTenant(srv);
    const child = await mkStudent(owner);
    const recordEmail = uniqueEmail('kgrace');
    const record = await mkGuardian(owner, { email: recordEmail.toUpperCase() });
    expect(record.email).toBe(recordEmail);
    expect((await owner.put(`/students/${child.id}/guardians/${record.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBe(201);

    // A guardian member (accepted under another address) whose account address later became a look-alike.
    const { email } = await addMember(srv, owner, ['guardian']);
    const sub = await localSupabaseSub(email);
    const lookalike = await signInAs(srv, KELVIN + recordEmail.slice(1), sub);
    expect((await lookalike.get(`/students/${child.id}`)).status).toBe(404);
    expect((await lookalike.get('/students')).body.items).toEqual([]);
    const dotless = await signInAs(srv, recordEmail.replace('kgrace', 'kgr\u0131ce'), sub);
    expect((await dotless.get(`/students/${child.id}`)).status).toBe(404);
    const upper = await signInAs(srv, recordEmail.toUpperCase(), sub);
    expect((await upper.get(`/students/${child.id}`)).status).toBe(200);
  });

  it('a teacher ↔ their own staff record: a look-alike address is not theirs (403), the ASCII upper-case one is', async () => {
    const { owner } = await newTenant(srv);
    const room = await mkRoom(owner);
    const staffEmail = uniqueEmail('kit');
    const staff = await mkStaff(owner, { email: staffEmail, roomIds: [room.id] });
    const { email } = await addMember(srv, owner, ['teacher']);
    const sub = await localSupabaseSub(email);
    const kelvin = await signInAs(srv, KELVIN + staffEmail.slice(1), sub);
    expect((await kelvin.post(`/staff/${staff.id}/clock-in`, { roomId: room.id })).status).toBe(403);
    const turkish = await signInAs(srv, staffEmail.replace('kit', 'k\u0131t'), sub);
    expect((await turkish.post(`/staff/${staff.id}/clock-in`, { roomId: room.id })).status).toBe(403);
    const upper = await signInAs(srv, staffEmail.toUpperCase(), sub);
    expect((await upper.post(`/staff/${staff.id}/clock-in`, { roomId: room.id })).status).toBe(201);
  });
});
