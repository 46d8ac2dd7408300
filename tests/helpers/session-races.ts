/**
 * The refresh-versus-change races of sessions over HTTP, as a test body both the short smoke
 * (tests/api/session-races.test.ts) and the fault suite's soak (tests/faults/session-races-soak.test.ts) run, with
 * their own numbers of rounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './http.js';
import { startPrivateRedis, type PrivateRedis } from './redis-server.js';
import { addMember, newTenant, startServer, uniqueEmail, type CacheKind, type TestServer } from './server.js';

export const RACE_LIMITS = { RATE_LIMIT_TENANTS_PER_ACCOUNT_PER_DAY: '1000000', RATE_LIMIT_INVITATIONS_PER_TENANT_PER_HOUR: '1000000' };
const LIMITS = RACE_LIMITS;
/** The change is sent 0–9 ms after the refresh, as in the attack that found the bug. */
const later = <T>(f: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => f().then(resolve, reject), Math.floor(Math.random() * 10)));
const race = (first: () => Promise<unknown>, second: () => Promise<unknown>) => Promise.all([first(), later(second)]);

export function sessionRaces(cache: CacheKind, rounds: { demotion: number; suspension: number; removal: number; logout: number }, timeoutMs: number) {
  describe(`sessions under races, ${cache === 'redis' ? 'real Redis' : 'in-process cache'}`, () => {
    let redis: PrivateRedis | undefined;
    let srv: TestServer;
    beforeAll(async () => {
      if (cache === 'redis') redis = await startPrivateRedis();
      srv = await startServer({ cache, redisUrl: redis?.url, env: LIMITS });
    });
    afterAll(async () => {
      await srv?.close();
      await redis?.stop();
    });

    it(`a refresh racing a demotion never keeps the old role (${rounds.demotion} rounds)`, async () => {
      const { owner } = await newTenant(srv);
      const m = await addMember(srv, owner, ['admin']);
      const leaks: number[] = [];
      for (let i = 0; i < rounds.demotion; i++) {
        expect((await owner.patch(`/memberships/${m.membershipId}`, { roles: ['admin'] })).status).toBe(200);
        const [refreshed, demoted] = await race(
          () => m.agent.post('/auth/refresh'),
          () => owner.patch(`/memberships/${m.membershipId}`, { roles: ['teacher'] }),
        );
        expect((refreshed as any).status).toBe(200);
        expect((demoted as any).status).toBe(200);
        // audit:read is an admin's, not a teacher's.
        if ((await m.agent.get('/audit-logs?limit=1')).status !== 403) leaks.push(i);
      }
      expect(leaks).toEqual([]);
    }, timeoutMs);

    it(`a refresh racing a suspension never keeps access (${rounds.suspension} rounds)`, async () => {
      const { owner } = await newTenant(srv);
      const m = await addMember(srv, owner, ['teacher']);
      const leaks: number[] = [];
      for (let i = 0; i < rounds.suspension; i++) {
        expect((await owner.patch(`/memberships/${m.membershipId}`, { status: 'active' })).status).toBe(200);
        await race(
          () => m.agent.post('/auth/refresh'),
          () => owner.patch(`/memberships/${m.membershipId}`, { status: 'suspended' }),
        );
        if ((await m.agent.get('/students')).status !== 403) leaks.push(i);
      }
      expect(leaks).toEqual([]);
    }, timeoutMs);

    it(`a refresh racing a removal never keeps access (${rounds.removal} rounds)`, async () => {
      const { owner } = await newTenant(srv);
      const leaks: number[] = [];
      for (let i = 0; i < rounds.removal; i++) {
        const m = await addMember(srv, owner, ['teacher']);
        await race(
          () => m.agent.post('/auth/refresh'),
          () => owner.delete(`/memberships/${m.membershipId}`),
        );
        if ((await m.agent.get('/students')).status !== 403) leaks.push(i);
      }
      expect(leaks).toEqual([]);
    }, timeoutMs);

    it(`logout (racing a refresh) ends every token of the sign-in, for any membership (${rounds.logout} rounds)`, async () => {
      const leaks: string[] = [];
      for (let i = 0; i < rounds.logout; i++) {
        const a = await srv.signIn(uniqueEmail('family'));
        const a1 = a.clone();
        expect((await a.post('/auth/refresh')).status).toBe(200);
        const a2 = a.clone();
        expect((await a.post('/tenants', { name: `Round ${i}`, timezone: 'UTC' })).status).toBe(201);
        const c1 = a.clone();
        expect((await c1.get('/students')).status).toBe(200);
        // A refresh in flight while the user logs out: whatever it mints must not outlive the logout.
        const loggingOut = a.clone();
        await race(
          () => a.post('/auth/refresh'),
          () => loggingOut.post('/auth/logout'),
        );
        const r1 = a.clone();
        for (const [name, agent] of [['A1', a1], ['A2', a2], ['C1', c1], ['R1', r1]] as [string, Agent][])
          if ((await agent.get('/me/context')).status !== 401) leaks.push(`${i}:${name}`);
      }
      expect(leaks).toEqual([]);
    }, timeoutMs);
  });
}
